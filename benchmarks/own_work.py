"""CPU time of summarize's own per-article work, stage by stage, and of the model call.

Used by `bench_batch.py`. "Own work" is everything summarize does for an article but the
model call: `brief_article` run with the model's answer already in hand (its `ask`
returns a parsed `Extraction`), so cleaning, chunk planning, the prompt, the injection
scan, grounding (spans included), date resolution (tense included) and assembling the
brief all run as in a live batch; plus what the batch does around it (the article's
share of the run's line frequency) and the CLI after it (the brief's JSONL line).

The split bills each call of a pipeline step to its stage, less the steps it calls in
turn (grounding's injection scan is the scan's), by wrapping the functions
`brief_article` looks up in `summarize.pipeline` while the split is measured; the total
is measured without the wrappers. Times are `time.process_time()`: CPU, not wall clock,
so other jobs on the machine change them little.

The model call is timed the same way, on its own: `ModelClient.extract` against the
loopback server with no latency. The calling thread's CPU (`time.thread_time()`) is the
openai SDK, instructor and the HTTP client; the rest of the process's CPU is the loopback
server answering, which a real provider does elsewhere.
"""

from __future__ import annotations

import json
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

from summarize import pipeline
from summarize.client import ModelClient
from summarize.data import Article
from summarize.export import to_record
from summarize.linefreq import for_article, repeated_lines
from summarize.options import BriefOptions
from summarize.prompts import Prompt
from summarize.schema import Extraction
from summarize.transport import CallRecord

# What `brief_article` calls through `summarize.pipeline`, by the stage it is billed to;
# what is left of `brief_article` itself (metadata, the Brief, its warnings) is "brief".
STAGES = {
    "clean_sendable": "clean",
    "plan_chunks": "chunk plan",
    "request_messages": "prompt",
    "_scanned": "injection scan",
    "check_grounding": "grounding",
    "resolve_dates": "dates (tense included)",
    "locate": "spans",
    "brief_article": "brief",
}
ORDER = [
    "line frequency",
    "clean",
    "chunk plan",
    "prompt",
    "injection scan",
    "grounding",
    "dates (tense included)",
    "spans",
    "brief",
    "JSONL line",
]


@dataclass
class StageClock:
    """CPU seconds billed to stages; a stage called inside another is billed to itself
    only."""

    spent: Counter[str] = field(default_factory=Counter)
    _nested: list[float] = field(default_factory=list)  # CPU of inner stages, per level

    def wrap(self, stage: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.process_time()
            self._nested.append(0.0)
            try:
                return function(*args, **kwargs)
            finally:
                elapsed = time.process_time() - started
                self.spent[stage] += elapsed - self._nested.pop()
                if self._nested:
                    self._nested[-1] += elapsed

        return timed

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        started = time.process_time()
        try:
            yield
        finally:
            self.spent[name] += time.process_time() - started

    @contextmanager
    def installed(self) -> Iterator[None]:
        with ExitStack() as stack:
            for name, stage in STAGES.items():
                wrapped = self.wrap(stage, getattr(pipeline, name))
                stack.enter_context(mock.patch.object(pipeline, name, wrapped))
            yield


class _NoModel:
    """Stands in for `ModelClient` where `brief_article` reads only its configuration and
    token count."""

    def __init__(self, client: ModelClient) -> None:
        self.config = client.config
        self.count_tokens = client.count_tokens


def answers_for(
    articles: list[Article], client: ModelClient, payload_for: Callable[[str], dict[str, Any]]
) -> dict[str, Extraction]:
    """The model's parsed answer for each article (by id), as the loopback model gives it:
    `payload_for` the cleaned text the prompt carries."""
    answers = {}
    for article in articles:
        cleaned, _ = pipeline.clean_sendable(article, BriefOptions())
        answers[article.id] = Extraction.model_validate(payload_for(cleaned.text))
    return answers


def _brief_all(
    articles: list[Article],
    client: ModelClient,
    prompt: Prompt,
    answers: Mapping[str, Extraction],
    clock: StageClock,
) -> None:
    """What a batch does for each article but the model call: the first `run_batch` step
    (line frequency over the run), `brief_article`, and the brief's JSONL line."""
    with clock.stage("line frequency"):
        repeated = repeated_lines(article.text for article in articles)
    stand_in: Any = _NoModel(client)
    options = BriefOptions()
    for article in articles:
        extraction = answers[article.id]

        def ask(
            messages: list[dict[str, str]], label: str, key: str | None = None
        ) -> tuple[Extraction, CallRecord]:
            record = CallRecord(input_tokens=100, output_tokens=50)
            record.answered(None)
            return extraction, record  # noqa: B023 - called before the loop moves on

        with clock.stage("line frequency"):
            mine = for_article(article.text, repeated)
        brief = pipeline.brief_article(article, stand_in, prompt, options, ask=ask, repeated=mine)
        with clock.stage("JSONL line"):
            json.dumps(to_record(brief), ensure_ascii=False)


@dataclass
class OwnWork:
    total_ms: float  # per article, measured without the stage wrappers
    stages_ms: dict[str, float]  # per article, with them


def own_work(
    articles: list[Article],
    client: ModelClient,
    prompt: Prompt,
    answers: Mapping[str, Extraction],
    repeats: int,
) -> OwnWork:
    """Medians over `repeats` passes of the CPU milliseconds per article of summarize's
    own work, in total and by stage."""
    _brief_all(articles, client, prompt, answers, StageClock())  # warm: imports, tables
    totals, splits = [], []
    for _ in range(repeats):
        started = time.process_time()
        _brief_all(articles, client, prompt, answers, StageClock())
        totals.append((time.process_time() - started) / len(articles) * 1000)
        clock = StageClock()
        with clock.installed():
            _brief_all(articles, client, prompt, answers, clock)
        splits.append(clock.spent)
    stages = {
        stage: statistics.median(split[stage] for split in splits) / len(articles) * 1000
        for stage in ORDER
    }
    return OwnWork(statistics.median(totals), stages)


@dataclass
class ModelCall:
    client_ms: float  # CPU of the calling thread: openai SDK, instructor, HTTP client
    server_ms: float  # CPU of the rest of the process: the loopback server


def model_call(
    articles: list[Article], client: ModelClient, prompt: Prompt, repeats: int
) -> ModelCall:
    """Medians over `repeats` passes of the CPU milliseconds per `extract` call, one call
    per article, against a loopback server with no latency (`client.config.base_url`)."""
    messages = []
    for article in articles:
        cleaned, _ = pipeline.clean_sendable(article, BriefOptions())
        messages.append(pipeline.request_messages(article, cleaned, prompt))
    client.extract(messages[0], Extraction, label="warm")
    own, other = [], []
    for _ in range(repeats):
        thread, process = time.thread_time(), time.process_time()
        for request in messages:
            client.extract(request, Extraction, label="bench")
        thread, process = time.thread_time() - thread, time.process_time() - process
        own.append(thread / len(messages) * 1000)
        other.append((process - thread) / len(messages) * 1000)
    return ModelCall(statistics.median(own), statistics.median(other))


def main() -> None:
    """Print own work per article, in total and by stage, over `bench_batch.py`'s
    articles and over the corpus's stories as read; no model is called (the loopback
    server's answers are computed in-process)."""
    import argparse
    import os
    import sys

    from bench_batch import DEFAULT_CORPUS, make_articles, payload_for

    from summarize.articles import read_corpus
    from summarize.modelconfig import ModelConfig
    from summarize.prompts import load_prompt

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default=DEFAULT_CORPUS)
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    client = ModelClient(ModelConfig(model="bench", base_url="http://127.0.0.1:9/v1"))
    prompt = load_prompt()
    try:
        articles = make_articles(args.corpus, args.articles)
        work = own_work(
            articles, client, prompt, answers_for(articles, client, payload_for), args.repeats
        )
        stories = [a for a in read_corpus(args.corpus) if isinstance(a, Article)]
        story_work = own_work(
            stories, client, prompt, answers_for(stories, client, payload_for), args.repeats
        )
    finally:
        client.close()
    load = ", ".join(f"{figure:.2f}" for figure in os.getloadavg())
    print(f"own work, CPU per article, medians of {args.repeats} passes (load {load}):")
    print(f"  {args.articles} bench_batch articles: {work.total_ms:.3f} ms (target <= 1.5 ms)")
    for stage, ms in work.stages_ms.items():
        print(f"    {stage}: {ms:.3f} ms")
    print(f"  the {len(stories)} stories as read: {story_work.total_ms:.3f} ms")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
