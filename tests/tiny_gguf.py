"""A tiny llama-architecture GGUF model, written in milliseconds, for the local-model tests.

llama.cpp loads it and generates with it like any other model, so the tests run the real
`--model gguf:PATH` path (in-process server, `/tokenize`, json_schema-constrained decoding,
openai + instructor) without downloading or compiling anything.

How it answers, and why it always stops: every token embeds to the same vector and every
layer's weights are zero, so attention and feed-forward add nothing and the final hidden
state is the same at every position. The output matrix then gives each token a fixed
logit: the model is a unigram ranking. Under greedy decoding (temperature 0) llama.cpp
picks, at each step, the highest-ranked token the JSON-schema grammar allows. The ranking
puts end-of-text first, then `"`, then one word token for the one string the schema forces
to be non-empty (the summary), then `]`, `}`, `{`; whitespace last. So every array comes out
empty, every string as short as the schema allows, no whitespace is written, and the answer
ends as soon as the grammar accepts an end: it is always `ANSWER`, 51 tokens and
end-of-text. Nothing else the grammar allows ever ties with the chosen token, so the
answer is the same on every machine.

The tokenizer is GPT-2's byte-level BPE: the 256 byte tokens, the summary as one added
(user-defined) token, one merge and an end-of-text token. So a text's token count is its
length in UTF-8 bytes (unless it holds the summary's words), and never cl100k_base's.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

SUMMARY = "Nothing to report."
ANSWER = json.dumps(
    {"summary": SUMMARY, "threats": [], "actors": [], "dates": []}, separators=(",", ":")
)
EMBEDDING = 64
HEADS = 4
FEED_FORWARD = 128
LAYERS = 1
CONTEXT = 32_768


def _byte_symbols() -> list[str]:
    """GPT-2's printable stand-in for each byte (its `bytes_to_unicode`), in byte order."""
    printable = [*range(ord("!"), ord("~") + 1), *range(0xA1, 0xAC + 1), *range(0xAE, 0xFF + 1)]
    symbols: dict[int, str] = {b: chr(b) for b in printable}
    extra = 0
    for b in range(256):
        if b not in symbols:
            symbols[b] = chr(256 + extra)
            extra += 1
    return [symbols[b] for b in range(256)]


def _vocabulary() -> tuple[list[str], list[str], int, int]:
    """Tokens, merges, the summary word's token id and the end-of-text id."""
    symbols = _byte_symbols()
    tokens = list(symbols)
    # The summary is one added token, as tokenizers add special words: the tokenizer
    # matches it whole, and BPE never builds it from bytes, so other text counts bytes.
    word = SUMMARY
    tokens.append(word)
    # llama.cpp wants a merge table; this one merge joins two control characters (U+0001)
    # that news text does not hold and JSON strings may not.
    never = symbols[0x01]
    merges = [f"{never} {never}"]
    tokens.append(never + never)
    end_of_text = len(tokens)
    tokens.append("<|endoftext|>")
    return tokens, merges, tokens.index(word), end_of_text


def write_tiny_gguf(path: Path) -> Path:
    """Write the model to `path` (a few hundred KB) and return it."""
    import gguf

    tokens, merges, word_id, end_of_text = _vocabulary()
    symbols = _byte_symbols()
    vocab = len(tokens)

    # The fixed ranking, best first; every other token scores 0.
    quote, bracket, brace, opening = (tokens.index(symbols[ord(c)]) for c in '"]}{')
    # `{` last: it starts the answer (rather than a Markdown fence, which llama.cpp's
    # chat grammar also allows) but never an array's item, which `]` outranks.
    ranking = [end_of_text, quote, word_id, bracket, brace, opening]
    logits = np.zeros(vocab, dtype=np.float32)
    for c in " \t\n\r":  # the grammar allows optional whitespace: never take it
        logits[tokens.index(symbols[ord(c)])] = -10.0
    for place, token in enumerate(ranking):
        logits[token] = 10.0 * (len(ranking) - place)

    writer = gguf.GGUFWriter(str(path), arch="llama")
    writer.add_name("tiny-test-model")
    writer.add_context_length(CONTEXT)
    writer.add_embedding_length(EMBEDDING)
    writer.add_block_count(LAYERS)
    writer.add_feed_forward_length(FEED_FORWARD)
    writer.add_head_count(HEADS)
    writer.add_head_count_kv(HEADS)
    writer.add_rope_dimension_count(EMBEDDING // HEADS)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("gpt-2")
    writer.add_token_list(tokens)
    types = [gguf.TokenType.NORMAL] * vocab
    types[word_id] = gguf.TokenType.USER_DEFINED
    types[end_of_text] = gguf.TokenType.CONTROL
    writer.add_token_types(types)
    writer.add_token_merges(merges)
    writer.add_bos_token_id(end_of_text)
    writer.add_eos_token_id(end_of_text)
    writer.add_add_bos_token(False)

    # Every token embeds to the same all-ones vector; the final norm keeps it all ones;
    # each output row is its token's logit spread over the dimensions.
    writer.add_tensor("token_embd.weight", np.ones((vocab, EMBEDDING), dtype=np.float32))
    writer.add_tensor("output_norm.weight", np.ones(EMBEDDING, dtype=np.float32))
    output = np.repeat((logits / EMBEDDING)[:, None], EMBEDDING, axis=1).astype(np.float32)
    writer.add_tensor("output.weight", output)
    zeros = np.zeros
    for layer in range(LAYERS):
        block = f"blk.{layer}"
        writer.add_tensor(f"{block}.attn_norm.weight", np.ones(EMBEDDING, dtype=np.float32))
        for name in ("attn_q", "attn_k", "attn_v", "attn_output"):
            writer.add_tensor(f"{block}.{name}.weight", zeros((EMBEDDING, EMBEDDING), np.float32))
        writer.add_tensor(f"{block}.ffn_norm.weight", np.ones(EMBEDDING, dtype=np.float32))
        writer.add_tensor(f"{block}.ffn_gate.weight", zeros((FEED_FORWARD, EMBEDDING), np.float32))
        writer.add_tensor(f"{block}.ffn_up.weight", zeros((FEED_FORWARD, EMBEDDING), np.float32))
        writer.add_tensor(f"{block}.ffn_down.weight", zeros((EMBEDDING, FEED_FORWARD), np.float32))

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path
