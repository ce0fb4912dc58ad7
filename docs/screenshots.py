"""Render the terminal view of a real brief at 80 and 120 columns, as SVG and PNG.

    python3 docs/screenshots.py          # writes docs/terminal-80.{svg,png}, -120.{svg,png}

The brief is made by the real pipeline (cleaning, prompt, openai + instructor, dates,
grounding) for a seed article, answered over HTTP by the loopback server replaying the
shipped `midsize` response set; the seed's date comes from seeds/published.json. The
SVG is rich's own export; the PNG is that SVG drawn by headless Chromium (skipped, with
a note, when no `chromium` is on PATH).
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from rich.console import Console

from summarize.articles import read_file
from summarize.client import ModelClient
from summarize.evaluation.runner import ROUTE_KEY_CHARS, shipped_evals
from summarize.evaluation.store import replay_responder
from summarize.loopback import LoopbackServer
from summarize.modelconfig import ModelConfig, RetryPolicy
from summarize.options import BriefOptions
from summarize.pipeline import brief_article, clean_article
from summarize.prompts import load_prompt
from summarize.render import print_brief

DOCS = Path(__file__).resolve().parent
SEED = Path("seeds") / "001_6257722e1639f71d.txt"  # named as a user types it
WIDTHS = (80, 120)


def make_brief():  # type: ignore[no-untyped-def]
    """The brief, and the cleaned article its spans point into."""
    article = read_file(SEED)
    cleaned = clean_article(article).text
    routes = {cleaned[:ROUTE_KEY_CHARS]: article.id}
    responder, missing = replay_responder(shipped_evals() / "responses" / "midsize", routes)
    assert not missing, missing
    with LoopbackServer(responder) as server:
        config = ModelConfig(
            model="midsize (hand-written answers)",
            base_url=server.url,
            mode="json_schema",
            retry=RetryPolicy(max_attempts=2, initial_wait=0, max_wait=0),
        )
        client = ModelClient(config)
        try:
            return brief_article(article, client, load_prompt(), BriefOptions()), cleaned
        finally:
            client.close()


def to_png(svg: Path, png: Path, width: int) -> bool:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        print(f"no chromium on PATH: {png.name} not drawn", file=sys.stderr)
        return False
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                f"--user-data-dir={profile}",
                f"--screenshot={png}",
                f"--window-size={width},{height_of(svg)}",
                "--default-background-color=00000000",
                svg.as_uri(),
            ],
            check=True,
            capture_output=True,
        )
    return True


def height_of(svg: Path) -> int:
    """The SVG's own height (rich writes a viewBox), so the PNG holds all of it."""
    text = svg.read_text()
    view_box = text.split('viewBox="', 1)[1].split('"', 1)[0]
    return int(float(view_box.split()[3])) + 1


def main() -> None:
    os.chdir(DOCS.parent)
    brief, cleaned = make_brief()
    brief.run.seconds = 1.9  # the replay answers at once; show a typical figure instead
    for width in WIDTHS:
        console = Console(
            record=True,
            width=width,
            file=io.StringIO(),
            force_terminal=True,
            color_system="truecolor",
        )
        print_brief(console, brief, cleaned)
        svg = DOCS / f"terminal-{width}.svg"
        svg.write_text(console.export_svg(title=f"summarize brief {SEED}  ({width} columns)"))
        drawn = to_png(svg, svg.with_suffix(".png"), width=width_px(svg))
        print(f"wrote {svg.name}" + (f" and {svg.with_suffix('.png').name}" if drawn else ""))


def width_px(svg: Path) -> int:
    text = svg.read_text()
    view_box = text.split('viewBox="', 1)[1].split('"', 1)[0]
    return int(float(view_box.split()[2])) + 1


if __name__ == "__main__":
    main()
