"""`summarize watch`: brief the new items of feeds, pass after pass."""

from __future__ import annotations

import sys
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from summarize import signals
from summarize.commands.base import Exit, fail, open_cache, stderr
from summarize.errors import ConfigError

if TYPE_CHECKING:
    from summarize.client import ModelClient
    from summarize.options import BriefOptions
    from summarize.prompts import Prompt
    from summarize.store import Store as BriefStore


def _interval(value: str) -> float:
    """'15m' -> 900.0 seconds; '30s', '2h', or bare seconds."""
    import re

    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", value)
    if found is None or float(found[1]) <= 0:
        raise fail(f"--every {value!r}: write a duration such as 30s, 15m or 2h")
    return float(found[1]) * {"": 1, "s": 1, "m": 60, "h": 3600}[found[2]]


def watch(
    feeds: Annotated[list[str], typer.Argument(help="RSS or Atom feed URLs.")],
    every: Annotated[str, typer.Option(help="Time between passes: 30s, 15m, 2h.")] = "15m",
    once: Annotated[
        bool, typer.Option("--once", help="One pass, then exit (for cron): 1 if any failed.")
    ] = False,
    store_path: Annotated[
        Path | None, typer.Option("--store", help="Store file (env SUMMARIZE_STORE).")
    ] = None,
    model: Annotated[str | None, typer.Option("--model", "-m", help="Model name.")] = None,
    base_url: Annotated[
        str | None, typer.Option("--base-url", help="OpenAI-compatible endpoint.")
    ] = None,
    mode: Annotated[str | None, typer.Option(help="Structured-output mode.")] = None,
    timeout: Annotated[float | None, typer.Option(min=1, help="Seconds per model request.")] = None,
    feed_timeout: Annotated[
        float, typer.Option(min=0.1, help="Seconds to wait for a feed.")
    ] = 20.0,
    concurrency: Annotated[int, typer.Option("--concurrency", "-j", min=1, max=64)] = 4,
) -> None:
    """Brief the new items of feeds, pass after pass; print new threats, threats reported
    again, and deadlines set or moved."""
    import time

    from summarize.options import BriefOptions
    from summarize.prompts import load_prompt
    from summarize.providers import resolve
    from summarize.store import Store

    pause = _interval(every)
    resources = ExitStack()
    try:
        opened = resolve(model, base_url=base_url, mode=mode, timeout=timeout)
        provider = resources.enter_context(opened)
        options = provider.brief_options(BriefOptions())
        template = load_prompt(None)
        store = resources.enter_context(Store(store_path))
        cache = open_cache(None, refresh=False)  # a page tried again costs no second answer
    except ConfigError as error:
        resources.close()
        raise fail(str(error)) from None
    resources.callback(cache.close)
    client = provider.client(cache=cache)
    resources.callback(client.close)
    with resources:
        try:
            while True:
                failed = _watch_once(
                    feeds, store, client, template, options, feed_timeout, concurrency
                )
                if once:
                    raise typer.Exit(int(Exit.SOME_FAILED if failed else Exit.OK))
                time.sleep(pause)
        except KeyboardInterrupt:
            how, code = signals.stops.outcome()
            stderr.print(f"{how}: watch stopped", highlight=False)
            raise typer.Exit(int(code)) from None


def _watch_once(
    feeds: list[str],
    store: BriefStore,
    client: ModelClient,
    template: Prompt,
    options: BriefOptions,
    feed_timeout: float,
    concurrency: int,
) -> bool:
    """One pass: news on stdout, failures and a tally on stderr; True if anything failed."""
    from summarize.watch import watch_pass

    found = watch_pass(
        feeds,
        store,
        client,
        template,
        options,
        feed_timeout=feed_timeout,
        concurrency=concurrency,
    )
    for line in found.news:
        sys.stdout.write(line + "\n")
    sys.stdout.flush()
    for failure in found.failures:
        stderr.print(failure, highlight=False, soft_wrap=True, markup=False)
    stderr.print(
        f"pass done: {found.items_seen} item(s) in the feeds, {found.briefed} new "
        f"briefed, {len(found.failures)} failure(s)",
        highlight=False,
    )
    return bool(found.failures)
