"""Corpora at scale: `summarize brief` beside the plain instructor pool, and its memory.

    python3 benchmarks/bench_scale.py                     # everything, about 20 minutes idle
    python3 benchmarks/bench_scale.py --only throughput   # the two side-by-side runs
    python3 benchmarks/bench_scale.py --only memory --sizes 10000 100000

The model is the loopback server (`summarize.loopback`) in a process of its own, so what is
measured is the client. It answers every request with a brief quoting the article (as
`bench_batch.py`'s does), after a fixed latency. Both clients run as processes of their
own, in one sitting, against the same server and the same articles:

- **summarize**: the CLI, `summarize brief corpus.jsonl -q --jsonl out.jsonl --no-cache
  --no-store -j N` (worker processes by default: one per core), cleaning, grounding and
  dates included;
- **plain pool**: what a user would write: openai + instructor (`json_schema` mode), a
  `ThreadPoolExecutor` of N threads, the same `Extraction` schema, the article sent as is,
  nothing cleaned, grounded or written.

Figures: wall time (the start-up of each process included), articles per second, and
peak RSS of the summarize process tree (the parent and each worker, sampled from
/proc/PID/status VmHWM) for the memory runs, over JSONL corpora generated from
`../shared/articles/voa.jsonl` with distinct text per article (each copy's paragraphs
carry its edition number). The machine's load average is printed beside each figure:
other work on the machine slows both clients alike, but not evenly.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

from corpora import DEFAULT_CORPUS, SENTENCE_END, THREAT, edition, load_stories

# --- the model: a loopback server in its own process -------------------------------------


def answer(request: Any) -> Any:
    """A brief quoting the article's first sentence, with actors and dates."""
    from summarize.loopback import structured_reply

    story = request.article.strip()
    sentence = SENTENCE_END.split(story, maxsplit=1)[0].split("\n")[0]
    payload = {
        "summary": "The United States threatened Canada with tariffs.",
        "threats": [
            THREAT | {"conditions": [" ".join(sentence.split()[:6])], "evidence": [sentence]}
        ],
        "actors": [
            {"name": "United States", "kind": "state", "role": "issuer"},
            {"name": "Canada", "kind": "state", "role": "target"},
        ],
        "dates": [{"text": "Monday", "event": "talks"}],
    }
    return structured_reply(request, payload)


def serve(latency: float, ready: Any) -> None:
    from summarize.loopback import LoopbackServer, Throttled

    server = LoopbackServer(Throttled(answer, latency=latency))
    server._server.requests = deque(maxlen=1)  # type: ignore[assignment]  # keep none
    server._server.request_queue_size = 1024
    server.start()
    ready.put(server.url)
    threading.Event().wait()


class Model:
    """The loopback server with `latency`, in a process of its own."""

    def __init__(self, latency: float) -> None:
        context = multiprocessing.get_context("spawn")
        ready = context.Queue()
        self.process = context.Process(target=serve, args=(latency, ready), daemon=True)
        self.process.start()
        self.url: str = ready.get(timeout=60)

    def stop(self) -> None:
        self.process.kill()
        self.process.join()


# --- the articles ------------------------------------------------------------------------


def write_corpus(source: Path, count: int, path: Path) -> Path:
    """`count` articles as JSONL: the stories of `source` in turn, each copy distinct in
    every paragraph (`corpora.edition`)."""
    stories = load_stories(source)
    with path.open("w", encoding="utf-8") as out:
        for n in range(count):
            story, paragraphs = edition(stories, n)
            record = {
                "id": f"a{n:06d}",
                "title": story["title"],
                "published": story["published"],
                "text": "\n\n".join(paragraphs),
            }
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


# --- the clients -------------------------------------------------------------------------

PLAIN = """
import json, sys, time
from concurrent.futures import ThreadPoolExecutor
import instructor, openai
from summarize.schema import Extraction
url, corpus, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
records = [json.loads(line) for line in open(corpus, encoding="utf-8")]
client = instructor.from_openai(
    openai.OpenAI(base_url=url, api_key="bench", max_retries=3), mode=instructor.Mode.JSON_SCHEMA
)
def one(record):
    return client.chat.completions.create(
        model="bench",
        response_model=Extraction,
        max_retries=1,
        messages=[
            {"role": "system", "content": "Extract every threat in the article."},
            {"role": "user", "content": "<article>\\n" + record["text"] + "\\n</article>"},
        ],
    )
with ThreadPoolExecutor(threads) as pool:
    answers = list(pool.map(one, records))
print(len(answers))
"""


def run_measured(command: list[str], env: dict[str, str]) -> dict[str, float]:
    """Run `command`; its wall time, CPU seconds (with the children it waited for) and
    the peak RSS of it and each descendant, sampled from /proc."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peaks: dict[int, float] = {}
    cpu: dict[int, float] = {}  # each descendant's CPU seconds, as last seen
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            for pid in descendants(process.pid):
                peaks[pid] = max(peaks.get(pid, 0.0), hwm_mb(pid))
                cpu[pid] = max(cpu.get(pid, 0.0), cpu_seconds(pid))
            peaks[process.pid] = max(peaks.get(process.pid, 0.0), hwm_mb(process.pid))
            done.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    assert process.stderr is not None
    errors = process.stderr.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{command[:4]} failed:\n{errors[-2000:]}")
    parent = peaks.pop(process.pid, 0.0)
    return {
        "wall": wall,
        # the process's own, and its descendants' as sampled (a worker's last 0.1 s may
        # be missed: the fork server's children are not waited for by the CLI)
        "cpu": usage.ru_utime + usage.ru_stime + sum(cpu.values()),
        "rss_parent": parent,
        "rss_worker": max(peaks.values(), default=0.0),
    }


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found, stack = [], [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def hwm_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def summarize_run(
    model: Model, corpus: Path, concurrency: int, workdir: Path, *extra: str
) -> dict[str, float]:
    out = workdir / "out.jsonl"
    out.unlink(missing_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "SUMMARIZE_"))}
    command = [sys.executable, "-m", "summarize", "brief", str(corpus), "-q", "--no-cache"]
    command += ["--no-store", "--jsonl", str(out), "-j", str(concurrency)]
    command += ["--base-url", model.url, "-m", "bench", *extra]
    figures = run_measured(command, env)
    lines = out.read_text(encoding="utf-8").splitlines()
    figures["failed"] = sum("error" in json.loads(line) for line in lines)
    figures["lines"] = len(lines)
    return figures


def plain_run(model: Model, corpus: Path, concurrency: int) -> dict[str, float]:
    command = [sys.executable, "-c", PLAIN, model.url, str(corpus), str(concurrency)]
    return run_measured(command, dict(os.environ))


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.1f}/{five:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--only", choices=["throughput", "memory"])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="summarize-scale-"))
    print(
        f"bench_scale: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {platform.system()} {platform.release()}; {load()}",
        flush=True,
    )
    rows: list[str] = []

    def row(line: str) -> None:
        rows.append(line)
        print(line, flush=True)

    if args.only in (None, "throughput"):
        n = args.articles
        corpus = write_corpus(args.corpus, n, workdir / f"corpus-{n}.jsonl")
        for latency, concurrency in ((0.0, 50), (1.0, 200)):
            model = Model(latency)
            try:
                ours = summarize_run(model, corpus, concurrency, workdir)
                plain = plain_run(model, corpus, concurrency)
                single = summarize_run(model, corpus, concurrency, workdir, "--workers", "1")
            finally:
                model.stop()
            ideal = n * latency / concurrency
            row(
                f"| {n} articles, {latency:.0f} s latency, -j {concurrency} | "
                f"summarize {ours['wall']:.1f} s ({n / ours['wall']:.0f}/s, "
                f"{ours['cpu'] / n * 1000:.1f} ms CPU/article, "
                f"{ours['lines']:.0f} lines, {ours['failed']:.0f} failed) | "
                f"plain pool {plain['wall']:.1f} s ({n / plain['wall']:.0f}/s, "
                f"{plain['cpu'] / n * 1000:.1f} ms CPU/article) | "
                f"ratio {plain['wall'] / ours['wall']:.2f}x | "
                f"summarize --workers 1: {single['wall']:.1f} s, "
                f"{single['cpu'] / n * 1000:.1f} ms CPU/article | "
                + (f"ideal {ideal:.0f} s: {ours['wall'] / ideal:.2f}x | " if ideal else "")
                + f"{load()} |"
            )
        start = summarize_startup(workdir)
        row(f"| summarize brief start-up (1 article, zero latency, 2 workers) | {start:.2f} s |")

    if args.only in (None, "memory"):
        model = Model(0.0)
        try:
            for size in args.sizes:
                corpus = write_corpus(args.corpus, size, workdir / f"corpus-{size}.jsonl")
                ours = summarize_run(model, corpus, 32, workdir)
                row(
                    f"| {size:,} articles from JSONL, zero latency, -j 32 | peak RSS parent "
                    f"{ours['rss_parent']:.0f} MB, largest worker {ours['rss_worker']:.0f} MB | "
                    f"{ours['wall']:.0f} s, {ours['lines']:.0f} lines, "
                    f"{ours['failed']:.0f} failed | {load()} |"
                )
                corpus.unlink()
        finally:
            model.stop()
    print("\n" + "\n".join(rows))


def summarize_startup(workdir: Path) -> float:
    model = Model(0.0)
    try:
        corpus = write_corpus(DEFAULT_CORPUS, 1, workdir / "one.jsonl")
        return summarize_run(model, corpus, 2, workdir, "--workers", "2")["wall"]
    finally:
        model.stop()


if __name__ == "__main__":
    main()
