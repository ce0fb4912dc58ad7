"""Cleaning in the pipeline and on the command line: the warning when cleaning removes
most of an article, the run's line frequency in a batch and in `--resume`, and
`summarize clean --explain` on every input, including one that cleans to nothing."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from summarize.articles import article_from_text
from summarize.batch import run_batch
from summarize.cli import app
from summarize.client import ModelClient
from summarize.evaluation.cleaning import load_pages
from summarize.loopback import LoopbackServer, QueueResponder
from summarize.options import BriefOptions
from summarize.pipeline import brief_article
from summarize.prompts import load_prompt
from summarize.results import Failure
from tests.conftest import ROOT, extraction

runner = CliRunner()
NO_THREATS = extraction(threats=[], dates=[], summary="Officials met and talked.")
PUBLISHER_LINE = (  # a publisher's standing note: a sentence, kept when seen once
    "This article was produced with support from the Civic Journalism Fund, which had no "
    "say over its content."
)
VOA_LINE_31 = ROOT / "tests" / "data" / "voa-8009973.jsonl"


def stories(count: int) -> list[list[str]]:
    pages = load_pages(ROOT / "evals" / "cleaning" / "pages.jsonl")[3 : 3 + count]
    return [[t for t, label in p.lines if label == "story"] for p in pages]


def test_a_brief_says_when_cleaning_removed_more_than_half(
    queue: QueueResponder, client: ModelClient
) -> None:
    (story,) = stories(1)
    chrome = [f"Share on Threads {n}" for n in range(400)]
    article = article_from_text("\n".join([*story[:2], *chrome]), id="a", source="a.txt")
    queue.push(NO_THREATS)
    brief = brief_article(article, client, load_prompt(), BriefOptions())
    (warning,) = [w for w in brief.warnings if w.startswith("cleaning removed")]
    assert "summarize clean a.txt --explain" in warning


def test_a_brief_of_a_clean_article_has_no_cleaning_warning(
    queue: QueueResponder, client: ModelClient
) -> None:
    (story,) = stories(1)
    article = article_from_text("\n".join(story), id="a", source="a.txt")
    queue.push(NO_THREATS)
    brief = brief_article(article, client, load_prompt(), BriefOptions())
    assert not [w for w in brief.warnings if w.startswith("cleaning removed")]


def test_a_batch_drops_a_line_its_articles_share(
    server: LoopbackServer, queue: QueueResponder, client: ModelClient
) -> None:
    """The publisher's line reaches the model for one article alone, and for none of
    three articles of one run."""
    texts = ["\n".join([*story, PUBLISHER_LINE]) for story in stories(3)]
    articles = [article_from_text(t, id=f"s{n}", source=f"s{n}.txt") for n, t in enumerate(texts)]
    queue.push(NO_THREATS)
    alone = run_batch(articles[:1], client, load_prompt(), BriefOptions())
    assert not any(isinstance(r, Failure) for r in alone.results)
    assert PUBLISHER_LINE in server.requests[-1].article
    queue.push(NO_THREATS, NO_THREATS, NO_THREATS)
    outcome = run_batch(articles, client, load_prompt(), BriefOptions(), concurrency=1)
    assert not any(isinstance(r, Failure) for r in outcome.results)
    for request in server.requests[-3:]:
        assert PUBLISHER_LINE not in request.article
        assert len(request.article) > 1000


def test_clean_explains_an_input_that_cleans_to_nothing(tmp_path: Path) -> None:
    path = tmp_path / "chrome.txt"
    path.write_text("Share on Threads\nCopy URL\n\nAdvertisement\nPage 1 of 3\n")
    result = runner.invoke(app, ["clean", str(path), "--explain"])
    assert result.exit_code == 1
    assert result.stdout == ""
    for number, rule in [(1, "share button"), (2, "share button"), (4, "interface words")]:
        assert f"line {number:>4}  {rule}" in result.stderr
    assert "line    5" in result.stderr
    assert "nothing is left after removing page chrome (the lines above say why)" in (result.stderr)
    plain = runner.invoke(app, ["clean", str(path)])
    assert plain.exit_code == 1
    assert "add --explain to see why" in plain.stderr


def test_clean_explains_context_decisions_with_their_signals(tmp_path: Path) -> None:
    (story,) = stories(1)
    path = tmp_path / "page.txt"
    path.write_text("\n".join([*story, "Join the conversation"]))
    result = runner.invoke(app, ["clean", str(path), "--explain"])
    assert result.exit_code == 0
    assert "after the story (jusText" in result.stderr
    assert "on topic" in result.stderr


def test_clean_reads_a_jsonl_corpus_article_by_article() -> None:
    """`summarize clean corpus.jsonl` cleans each article of the corpus, as `brief`
    reads it; the VOA story that once cleaned to nothing comes out whole."""
    result = runner.invoke(app, ["clean", str(VOA_LINE_31), "--explain"])
    assert result.exit_code == 0, result.stderr
    assert "wanted to donate them to China" in result.stdout
    assert "8009973: 0 line(s) removed" in result.stderr


def test_resume_cleans_with_the_same_line_frequency_as_the_run(
    model_env: LoopbackServer, queue: QueueResponder, tmp_path: Path
) -> None:
    """`--resume` recognises finished briefs of articles whose shared line was dropped:
    it computes each article's request with the whole run's line frequency."""
    folder = tmp_path / "articles"
    folder.mkdir()
    for n, story in enumerate(stories(3)):
        (folder / f"s{n}.txt").write_text("\n".join([*story, PUBLISHER_LINE]))
    out = tmp_path / "briefs.jsonl"
    queue.push(NO_THREATS, NO_THREATS, NO_THREATS)
    first = runner.invoke(app, ["brief", str(folder), "--jsonl", str(out), "-q", "--no-cache"])
    assert first.exit_code == 0, first.stderr
    assert len(model_env.requests) == 3
    assert all(PUBLISHER_LINE not in r.article for r in model_env.requests)
    again = runner.invoke(
        app, ["brief", str(folder), "--jsonl", str(out), "-q", "--no-cache", "--resume"]
    )
    assert again.exit_code == 0, again.stderr
    assert len(model_env.requests) == 3  # nothing sent again
