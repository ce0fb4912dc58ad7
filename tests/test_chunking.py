"""Long articles: split on paragraphs with overlap, each part briefed, the briefs merged."""

from __future__ import annotations

import re

from summarize.articles import article_from_text, read_file
from summarize.chunking import merge, split
from summarize.client import ModelClient
from summarize.loopback import LoopbackServer, Reply, Request, structured_reply
from summarize.modelconfig import ModelConfig
from summarize.options import BriefOptions
from summarize.pipeline import brief_article, clean_article, plan_chunks
from summarize.prompts import load_prompt
from summarize.schema import Extraction
from tests.conftest import FAST_RETRIES, ROOT

STORIES = ["voa-8009495", "voa-8006924", "voa-8004380", "voa-6180015"]


def long_article() -> str:
    """Four real VOA stories, one after another, as one long article."""
    texts = [read_file(ROOT / "evals" / "articles" / f"{s}.txt").text for s in STORIES]
    return "\n\n".join(texts)


def test_split_keeps_every_paragraph_within_budget_with_overlap() -> None:
    """No chunk exceeds the budget, each paragraph appears, and chunks share an overlap."""
    paragraphs = [f"Paragraph {n}. " + "word " * 80 for n in range(40)]
    chunks = split("\n\n".join(paragraphs), 2000)
    assert len(chunks) > 1
    assert all(len(chunk) <= 2000 for chunk in chunks)
    for paragraph in paragraphs:
        assert any(paragraph.strip() in chunk for chunk in chunks)
    assert chunks[1].split("\n\n")[0] in chunks[0]  # the next chunk starts with an overlap


def test_one_huge_paragraph_is_cut_at_spaces() -> None:
    """A paragraph longer than the budget is cut between words, never mid-word."""
    chunks = split("alpha " * 2000, 1000)
    assert all(len(c) <= 1000 for c in chunks)
    assert all(not c.startswith("lpha") for c in chunks)


def threat(action: str, evidence: str, **extra: object) -> dict[str, object]:
    return {
        "issuer": "United States",
        "speaker": None,
        "targets": ["Canada"],
        "action": action,
        "category": "tariffs",
        "conditions": [],
        "deadline": None,
        "evidence": [evidence],
        **extra,
    }


def test_merge_joins_the_same_threat_and_keeps_different_ones() -> None:
    """Same issuer, targets, category and a like action: one threat, evidence unioned."""
    first = Extraction.model_validate(
        {
            "summary": "Trump raised tariffs. Canada responded.",
            "threats": [threat("raise tariffs on Canadian cars", "quote one")],
            "actors": [{"name": "Canada", "kind": "state", "role": "other"}],
            "dates": [{"text": "April 2", "event": "tariffs rise"}],
        }
    )
    second = Extraction.model_validate(
        {
            "summary": "Canada responded. Ontario cut power.",
            "threats": [
                threat("raise the tariffs on cars", "quote two", speaker="Donald Trump"),
                threat("cut electricity", "quote three", issuer="Ontario", category="other"),
            ],
            "actors": [{"name": "Canada", "kind": "state", "role": "target"}],
            "dates": [{"text": "April 2", "event": "tariffs rise"}],
        }
    )
    merged = merge([first, second])
    assert [t.issuer for t in merged.threats] == ["United States", "Ontario"]
    assert merged.threats[0].evidence == ["quote one", "quote two"]
    assert merged.threats[0].speaker == "Donald Trump"
    assert [(a.name, a.role) for a in merged.actors] == [("Canada", "target")]
    assert len(merged.dates) == 1
    assert merged.summary == "Trump raised tariffs. Canada responded. Ontario cut power."


def first_sentence_as_evidence(request: Request) -> Reply:
    """A model that quotes the first sentence of whatever part of the article it is sent."""
    part = request.article
    sentence = re.split(r"(?<=[.!?\u201d])\s", part.strip(), maxsplit=1)[0]
    payload = {
        "summary": "The United States threatened Canada with tariffs.",
        "threats": [threat("impose tariffs", sentence)],
        "actors": [{"name": "United States", "kind": "state", "role": "issuer"}],
        "dates": [],
    }
    return structured_reply(request, payload)


def test_a_long_article_is_briefed_in_parts_and_merged_into_one_brief() -> None:
    """Four stories at a 1,000-token budget: several requests, one threat, all its quotes."""
    text = long_article()
    article = article_from_text(text, id="long", source="long.txt")
    with LoopbackServer(first_sentence_as_evidence) as server:
        config = ModelConfig(model="m", base_url=server.url, retry=FAST_RETRIES)
        options = BriefOptions(max_input_tokens=1000)
        client = ModelClient(config)
        brief = brief_article(article, client, load_prompt(), options)
        client.close()
        requests = len(server.requests)
    chunks, _ = plan_chunks(clean_article(article).text, options)
    assert requests == len(chunks) > 3
    assert len(brief.threats) == 1
    assert len(brief.threats[0].evidence) == requests  # one quote from each part
    assert brief.grounding is not None
    assert brief.grounding.grounded
    assert brief.run.input_tokens == 100 * requests
    assert brief.warnings[0] == (
        f"article split into {requests} chunks of at most 1,000 tokens, merged"
    )
    assert brief.article.chars_clean == len(clean_article(article).text)  # the whole article
