"""Screenshots of the review page for the README: an article and the corpus timeline.

Builds the page of the 29 gold-labelled articles from the shipped `gold` response set
(replayed through the real pipeline, as `summarize eval --mock gold` does), opens it in
headless Chromium and captures two views. Run from the repository root:

    python docs/make_screenshots.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from summarize.evaluation.runner import run_eval  # noqa: E402
from summarize.prompts import load_prompt  # noqa: E402
from summarize.review import pages_for, write_html  # noqa: E402
from summarize.schema import Brief  # noqa: E402
from tests.chromium import Browser, chromium_path  # noqa: E402

ARTICLE = "a-001_6257722e1639f71d"  # a seed with a conditional threat


def main() -> None:
    executable = chromium_path()
    if executable is None:
        sys.exit("chromium is not installed (Debian: apt-get install -y chromium)")
    run = run_eval(ROOT / "evals" / "gold", load_prompt(), mock=ROOT / "evals/responses/gold")
    texts = {case.id: case.article.text for case in run.cases}
    for result in run.results:  # paths as the repository names them, not this machine
        if isinstance(result, Brief):
            result.article.source = str(Path(result.article.source).resolve().relative_to(ROOT))
    pages, failures = pages_for(run.results, texts)
    folder = tempfile.TemporaryDirectory(prefix="review-")
    page = Path(folder.name) / "review.html"
    write_html(page, pages, failures)
    with folder, Browser(executable, width=1280, height=860) as browser:
        browser.open(page.as_uri())
        browser.evaluate(f"document.getElementById('{ARTICLE}').scrollIntoView()")
        card = browser.evaluate(
            f"(() => {{ const r = document.querySelector('#{ARTICLE} .card')"
            ".getBoundingClientRect(); return [r.left + r.width / 2, r.top + 20]; })()"
        )
        browser.click(*card)  # scrolls to the threat's first quote and flashes them all
        browser.evaluate(f"document.getElementById('{ARTICLE}').scrollIntoView()")
        time.sleep(0.2)  # mid-flash
        browser.screenshot(ROOT / "docs" / "review-article.png")
        browser.evaluate("window.scrollTo(0, document.getElementById('timeline').offsetTop - 10)")
        time.sleep(0.1)
        browser.screenshot(ROOT / "docs" / "review-timeline.png")
    print("wrote docs/review-article.png and docs/review-timeline.png")


if __name__ == "__main__":
    main()
