"""What the store costs: milliseconds per brief stored, and `summarize threats` over many.

    python benchmarks/bench_store.py [--briefs 100000]

Stores N synthetic briefs (two threats each, drawn from 40 issuers, 60 targets, 7
categories and varied actions over two years) into a fresh store file, timing each
`Store.record` (linking included; wall clock, which other processes on a shared
machine inflate, and this process's CPU time), then times the `summarize threats` query (latest 50)
and a filtered one, and the CLI command end to end.
"""

from __future__ import annotations

import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from summarize.schema import Brief
from summarize.store import Store
from summarize.store import queries as q
from summarize.store.db import index_evidence

CATEGORIES = ["sanctions", "tariffs", "export_controls", "military_force", "diplomatic", "legal"]
VERBS = ["impose", "raise", "double", "extend", "expand", "consider", "threaten"]
OBJECTS = ["steel", "cars", "wine", "banks", "oil", "chips", "visas", "grain", "troops", "flights"]


def synthetic(i: int, rng: random.Random) -> Brief:
    day = date(2024, 1, 1) + timedelta(days=rng.randrange(730))
    threats = [
        {
            "issuer": f"State {rng.randrange(40)}",
            "targets": [f"Country {rng.randrange(60)}"],
            "action": f"{rng.choice(VERBS)} measures on {rng.choice(OBJECTS)}",
            "category": rng.choice(CATEGORIES),
            "evidence": [f"Officials said they would act on {rng.choice(OBJECTS)} (story {i})."],
        }
        for _ in range(2)
    ]
    return Brief.model_validate(
        {
            "summary": f"Story {i}.",
            "threats": threats,
            "actors": [{"name": threats[0]["issuer"], "kind": "state", "role": "issuer"}],
            "dates": [{"text": "Monday", "date": day.isoformat(), "event": "statement"}],
            "article": {
                "id": f"story-{i}",
                "source": f"https://news.example/{i}",
                "url": f"https://news.example/{i}",
                "published": day.isoformat(),
                "chars_raw": 4000,
                "chars_clean": 3500,
            },
            "run": {"provider": "openai", "model": "bench", "prompt_version": "v1"},
        }
    )


def main() -> None:
    count = int(sys.argv[sys.argv.index("--briefs") + 1]) if "--briefs" in sys.argv else 100_000
    rng = random.Random(17)
    briefs = [synthetic(i, rng) for i in range(count)]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "store.sqlite3"
        store = Store(path)
        times = []
        cpu_start = time.process_time()
        for brief in briefs:
            start = time.perf_counter()
            store.record(brief)
            times.append(time.perf_counter() - start)
        cpu = time.process_time() - cpu_start
        times.sort()
        load = os.getloadavg()[0]
        print(f"stored {count:,} briefs ({2 * count:,} threats); load average {load:.1f}")
        print(f"record: {cpu / count * 1000:.3f} ms of CPU per brief")
        print(
            f"record: wall clock mean {statistics.fmean(times) * 1000:.3f} ms, median "
            f"{times[len(times) // 2] * 1000:.3f} ms, "
            f"p99 {times[int(len(times) * 0.99)] * 1000:.3f}"
            " ms per brief"
        )
        start = time.perf_counter()
        indexed = index_evidence(store.db)
        print(
            f"full-text index brought up to date ({indexed:,} quotes, done on close): "
            f"{time.perf_counter() - start:.2f} s"
        )
        for label, filters in (
            ("threats (latest 50)", q.Filters(limit=50)),
            (
                "threats --issuer 'State 3' --category tariffs",
                q.Filters(issuer="State 3", category="tariffs", limit=50),
            ),
            ("threats --text steel", q.Filters(text="steel", limit=50)),
        ):
            start = time.perf_counter()
            found = q.list_tracked(store.db, filters)
            print(f"{label}: {len(found)} rows in {(time.perf_counter() - start) * 1000:.1f} ms")
        tracked = store.db.execute("SELECT count(*) FROM tracked").fetchone()[0]
        store.close()
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "summarize", "threats", "--store", str(path), "--json"],
            check=True,
            capture_output=True,
        )
        print(
            f"`summarize threats --json` end to end (process start included), {tracked:,} "
            f"tracked threats: {time.perf_counter() - start:.2f} s"
        )


if __name__ == "__main__":
    main()
