"""Peak memory of `summarize brief` on one large text file, against the file's size.

    python3 benchmarks/bench_memory.py              # 5 MB and 50 MB files
    python3 benchmarks/bench_memory.py --sizes 5 50 200

Each file is the stories of `../shared/articles/voa.jsonl` repeated to the size (news
prose with curly quotes, so Python holds it as 2 bytes a character). The CLI runs in a
child process against the loopback model server, as a user runs it (`--max-input-bytes`
raised above the file, `--no-cache`, defaults otherwise: 16,000-token chunks, 8 at
most), and its peak RSS is read from wait4's rusage by a small launcher process (a child
forked from a large parent would inherit the parent's peak). The baseline is the same
command on a 100 kB article, long enough to be split: the interpreter, openai,
instructor, pydantic and the cl100k_base token table (about 40 MB of it), which any
article over the token budget loads.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from summarize.loopback import LoopbackServer, Reply, Request, structured_reply

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "articles" / "voa.jsonl"
ANSWER = {"summary": "A summary.", "threats": [], "actors": [], "dates": []}
LAUNCHER = """
import os, subprocess, sys
child = subprocess.Popen(sys.argv[1:])
_, status, usage = os.wait4(child.pid, 0)
sys.stderr.write(f"\\npeak-rss-kb {usage.ru_maxrss}\\n")
sys.exit(os.waitstatus_to_exitcode(status))
"""


def answer(request: Request) -> Reply:
    return structured_reply(request, ANSWER)


def prose() -> str:
    if CORPUS.exists():
        return "\n\n".join(json.loads(line)["text"] for line in CORPUS.open(encoding="utf-8"))
    return "The talks resume on Monday, the minister said. \u201cWe will see,\u201d she said.\n\n"


def write_file(folder: Path, megabytes: float, text: str) -> Path:
    size = int(megabytes * 1_000_000)
    path = folder / f"{megabytes:g}mb.txt"
    with path.open("w", encoding="utf-8") as out:
        written = 0
        while written < size:
            piece = text[: size - written]
            out.write(piece)
            written += len(piece.encode("utf-8"))
    return path


def peak_mb(path: Path, server: LoopbackServer, out: Path) -> tuple[float, int, str]:
    """Peak RSS in MB, exit code and the brief's first warning, for one run."""
    env = {**os.environ, "OPENAI_BASE_URL": server.url, "SUMMARIZE_MODEL": "m"}
    env.setdefault("OPENAI_API_KEY", "sk-bench")
    command = [sys.executable, "-m", "summarize", "brief", str(path), "-q", "--no-cache"]
    command += ["--max-input-bytes", str(path.stat().st_size + 1), "--json", str(out)]
    done = subprocess.run(
        [sys.executable, "-c", LAUNCHER, *command],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    _, _, peak = done.stderr.rpartition("peak-rss-kb ")
    [record] = json.loads(out.read_text())
    warnings = record.get("warnings") or [record.get("error", {}).get("message", "")]
    return int(peak) / 1024, done.returncode, (warnings or [""])[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[5, 50], help="MB")
    args = parser.parse_args()
    text = prose()
    with tempfile.TemporaryDirectory() as folder, LoopbackServer(answer) as server:
        base = Path(folder)
        small = base / "small.txt"
        small.write_text(text[:100_000], encoding="utf-8")
        baseline, _, _ = peak_mb(small, server, base / "out.json")
        print(f"baseline (a 100 kB article): peak RSS {baseline:.0f} MB")
        print(f"{'file':>8} {'peak RSS':>10} {'over baseline':>14} {'x file':>7}  exit")
        for megabytes in args.sizes:
            path = write_file(base, megabytes, text * (int(megabytes * 1e6) // len(text) + 1))
            peak, code, warning = peak_mb(path, server, base / "out.json")
            size_mb = path.stat().st_size / 1e6
            over = peak - baseline
            print(
                f"{size_mb:>6.1f}MB {peak:>8.0f}MB {over:>12.0f}MB {over / size_mb:>6.1f}x  {code}"
            )
            print(f"    {warning[:150]}")
            path.unlink()


if __name__ == "__main__":
    main()
