"""What `summarize batch collect` costs per result, beyond validating the answer.

    python3 benchmarks/bench_batch_collect.py             # 10,000 results, about 2 minutes
    python3 benchmarks/bench_batch_collect.py --count 2000

Writes a job folder for `--count` articles generated from `../shared/articles/voa.jsonl`
(as `batch submit --requests-only` does), answers every request line with a grounded
brief the way a model writes one (`bench_batch.answer`: a threat quoting the article, a
condition, a deadline, actors and dates), stores that as a results file in the Batch API's
output format, and then times `collect` over it in this process: reading the results,
cleaning each article again, matching its request by cache key, validating the answer,
grounding, date resolution, the answer cache (SQLite) and the JSONL output.

"Validation" is timed separately over the same answers: the `openai` SDK's
`ChatCompletion` model plus instructor's parse into `Extraction`, which is what
`ModelClient.accept` runs for each answer. The figure to hold under 1 ms is collect's CPU
per result minus that.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

from bench_batch import DEFAULT_CORPUS, answer, make_articles

from summarize.batchjobs import REQUESTS, Answers, collect, load_job, write_job
from summarize.cache import AnswerCache
from summarize.client import ModelClient
from summarize.data import Article
from summarize.export import JsonlWriter
from summarize.injection import injection_warnings
from summarize.loopback import Request
from summarize.modelconfig import ModelConfig
from summarize.options import BriefOptions
from summarize.pipeline import article_requests, clean_article
from summarize.prompts import load_prompt
from summarize.results import Failure, Result
from summarize.schema import Extraction


def results_file(folder: Path) -> Path:
    """Every request answered, one Batch API output line each."""
    path = folder / "results.jsonl"
    with (folder / REQUESTS).open(encoding="utf-8") as lines, path.open("w") as out:
        for number, raw in enumerate(lines):
            line = json.loads(raw)
            request = Request("POST", line["url"], {}, json.dumps(line["body"]).encode())
            body = json.loads(answer(request).encoded())
            response = {"status_code": 200, "request_id": f"req-{number}", "body": body}
            record = {"id": f"r{number}", "custom_id": line["custom_id"], "response": response}
            out.write(json.dumps(record | {"error": None}) + "\n")
    return path


def validation_seconds(answers: Answers, client: ModelClient) -> float:
    """CPU to validate every answer as `accept` does, and nothing else."""
    from instructor.processing import process_response
    from openai.types.chat import ChatCompletion

    from summarize.client import _prepared

    model = _prepared(Extraction)
    mode = client._mode
    started = time.process_time()
    for body in answers.completions.values():
        completion = ChatCompletion.model_validate(body)
        process_response(completion, response_model=model, stream=False, strict=True, mode=mode)
    return time.process_time() - started


def parts_ms(articles: list[Article], client: ModelClient) -> dict[str, float]:
    """CPU per article of the pieces of collect that are summarize's own text work,
    each timed alone over the same articles."""
    prompt = load_prompt()
    timings = {}
    for name, work in (
        ("cleaning the article again", clean_article),
        (
            "prompt and cache key",
            lambda a: client.key_for(article_requests(a, prompt, BriefOptions())[0], Extraction),
        ),
        ("injection scan", lambda a: injection_warnings(clean_article(a).text)),
    ):
        started = time.process_time()
        for article in articles:
            work(article)
        timings[name] = (time.process_time() - started) / len(articles) * 1000
    timings["prompt and cache key"] -= timings["cleaning the article again"]
    timings["injection scan"] -= timings["cleaning the article again"]
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "job"
        config = ModelConfig(model="bench-model", base_url="http://127.0.0.1:9/v1", api_key="x")
        client = ModelClient(config)
        articles = make_articles(args.corpus, args.count)
        started = time.process_time()
        write_job(folder, articles, client, load_prompt(), BriefOptions())
        submit_cpu = time.process_time() - started
        answers = Answers()
        answers.read(results_file(folder))

        cache = AnswerCache(Path(scratch) / "answers.sqlite3")
        client = ModelClient(config, cache=cache)
        failures = 0

        with JsonlWriter(Path(scratch) / "briefs.jsonl") as writer:

            def write(result: Result) -> None:
                nonlocal failures
                failures += isinstance(result, Failure)
                writer.write(result)

            started, wall = time.process_time(), time.perf_counter()
            timed = Answers()
            timed.read(folder / "results.jsonl")  # reading the results is part of collect
            collect(folder, load_job(folder), client, timed, done=set(), on_result=write)
            collect_cpu = time.process_time() - started
            collect_wall = time.perf_counter() - wall
        validation = validation_seconds(answers, client)
        parts = parts_ms(articles[:2000], client)
        cache.close()

    n = args.count
    own = (collect_cpu - validation) / n * 1000
    print(
        f"# batch collect, {n:,} results; Python {platform.python_version()}, "
        f"{platform.machine()}, {sys.platform}"
    )
    print(f"submit (--requests-only) CPU per article:  {submit_cpu / n * 1000:.2f} ms")
    print(f"collect CPU per result:                     {collect_cpu / n * 1000:.2f} ms")
    print(f"  of which validation (SDK + instructor):   {validation / n * 1000:.2f} ms")
    print(f"  beyond validation (target < 1 ms):        {own:.2f} ms")
    for name, figure in parts.items():
        print(f"    {name + ':':<38} {figure:.2f} ms")
    print(f"collect wall: {collect_wall:.1f} s; failures: {failures} (must be 0)")


if __name__ == "__main__":
    main()
