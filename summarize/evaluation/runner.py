"""Run the gold set through the real pipeline and score it.

Three ways to get the model's answers, all over HTTP through the real `openai` +
`instructor` path: replayed from a stored response set (`mock`), live from a configured
provider, or live while recording every raw answer for later replay (`record`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from summarize.batch import run_batch
from summarize.client import ModelClient
from summarize.errors import ConfigError, InputError
from summarize.evaluation.gold import GoldCase, load_gold
from summarize.evaluation.scoring import ArticleScore, Totals, aggregate, score_article
from summarize.evaluation.store import RecordingResponder, load_meta, replay_responder
from summarize.loopback import LoopbackServer, Responder
from summarize.modelconfig import ModelConfig, RetryPolicy
from summarize.options import BriefOptions
from summarize.pipeline import clean_article
from summarize.prompts import Prompt
from summarize.results import Failure, Result

# The shipped gold set, response sets and the articles they name: a wheel carries a copy
# in the package (pyproject's force-include); a checkout or editable install has them in
# the repository. Found from the installed package, so `summarize eval` runs anywhere.
PACKAGE_DATA = Path(__file__).resolve().parent.parent / "_data"
REPOSITORY = Path(__file__).resolve().parents[2]
ROUTE_KEY_CHARS = 200
REPLAY_RETRIES = RetryPolicy(max_attempts=5, max_seconds=30, initial_wait=0.0, max_wait=0.0)


@dataclass
class EvalRun:
    """One scored pass over a gold set."""

    cases: list[GoldCase]
    results: list[Result]
    scores: list[ArticleScore]
    totals: Totals
    meta: dict[str, Any] = field(default_factory=dict)


def shipped_evals() -> Path:
    """The `evals/` folder shipped with summarize: gold/, responses/ and articles/."""
    packaged = PACKAGE_DATA / "evals"
    return packaged if packaged.is_dir() else REPOSITORY / "evals"


def _gold_label(gold_dir: Path) -> str:
    """How a report names the gold set: the shipped one as `evals/gold` wherever it is
    installed (reports compare across machines), any other by the path given."""
    shipped = shipped_evals() / "gold"
    return "evals/gold" if gold_dir.resolve() == shipped.resolve() else str(gold_dir)


def _routes(cases: list[GoldCase]) -> tuple[dict[str, str], dict[str, str]]:
    """Route keys (a prefix of each cleaned article) to ids, and each id's cleaned text."""
    routes: dict[str, str] = {}
    texts: dict[str, str] = {}
    for case in cases:
        try:
            text = clean_article(case.article).text
        except InputError as error:
            raise ConfigError(f"gold case {case.id}: {error}") from None
        texts[case.id] = text
        key = text[:ROUTE_KEY_CHARS]
        if key in routes:
            raise ConfigError(f"gold cases {routes[key]} and {case.id} start with the same text")
        routes[key] = case.id
    return routes, texts


def _score(
    cases: list[GoldCase], results: list[Result], texts: dict[str, str]
) -> list[ArticleScore]:
    scores = []
    for case, result in zip(cases, results, strict=True):
        if isinstance(result, Failure):
            scores.append(
                score_article(None, case.gold, article_text=texts[case.id], error=result.message)
            )
        else:
            predicted = result.model_dump(mode="json")
            scores.append(score_article(predicted, case.gold, article_text=texts[case.id]))
    return scores


def _brief_all(
    cases: list[GoldCase],
    config: ModelConfig,
    prompt: Prompt,
    concurrency: int,
    *,
    options: BriefOptions,
    count_tokens: Callable[[str], int] | None = None,
) -> list[Result]:
    client = ModelClient(config, count_tokens=count_tokens)
    try:
        articles = [c.article for c in cases]
        return run_batch(articles, client, prompt, options, concurrency=concurrency).results
    finally:
        client.close()


def run_eval(
    gold_dir: Path,
    prompt: Prompt,
    *,
    mock: Path | None = None,
    config: ModelConfig | None = None,
    options: BriefOptions | None = None,
    count_tokens: Callable[[str], int] | None = None,
    record: Path | None = None,
    concurrency: int = 4,
) -> EvalRun:
    """Score `prompt` on the gold set, replaying `mock` or calling `config`'s model
    (whose tokens `count_tokens` counts, if not cl100k_base), briefed with `options`."""
    options = options or BriefOptions()
    # Each article named as its gold file names it (`seeds/...`), not by where this install
    # keeps it, so reports and failure messages read the same from any folder.
    cases = [
        replace(case, article=replace(case.article, source=case.gold["article"]["source"]))
        for case in load_gold(gold_dir)
    ]
    routes, texts = _routes(cases)
    meta: dict[str, Any] = {"gold": _gold_label(gold_dir), "prompt_version": prompt.version}
    responder: Responder
    if mock is not None:
        stored = load_meta(mock)
        responder, missing = replay_responder(mock, routes)
        if missing:
            raise ConfigError(
                f"{mock}: no stored responses for {', '.join(missing)}; "
                "record them with --record NAME against a live model"
            )
        meta |= {
            "responses": mock.name,
            "model": stored.get("model", f"replay:{mock.name}"),
            "mode": stored.get("mode", "json_schema"),
        }
        with LoopbackServer(responder) as server:
            replay = ModelConfig(
                model=meta["model"], base_url=server.url, mode=meta["mode"], retry=REPLAY_RETRIES
            )
            results = _brief_all(cases, replay, prompt, concurrency, options=options)
    elif config is None:
        raise ConfigError("pass --mock NAME to replay stored responses, or --model to run live")
    elif record is not None:
        recorder = RecordingResponder(config.endpoint, routes, timeout=config.timeout)
        meta |= {"responses": record.name, "model": config.model, "mode": config.resolved_mode}
        with LoopbackServer(recorder) as server:
            # Same mode as the provider would get: the loopback URL must not change it.
            proxied = replace(config, base_url=server.url, mode=config.resolved_mode)
            results = _brief_all(
                cases, proxied, prompt, concurrency, options=options, count_tokens=count_tokens
            )
        recorder.save(record, {"model": config.model, "mode": config.resolved_mode})
    else:
        meta |= {"responses": None, "model": config.model, "mode": config.resolved_mode}
        results = _brief_all(
            cases, config, prompt, concurrency, options=options, count_tokens=count_tokens
        )
    scores = _score(cases, results, texts)
    return EvalRun(cases=cases, results=results, scores=scores, totals=aggregate(scores), meta=meta)
