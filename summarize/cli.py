"""The `summarize` command: one app, its commands registered from `summarize.commands`
(each parses its flags, calls the library, renders, maps errors to exit codes), and
`program(args)`, the one place an error a command did not handle becomes an exit status.

Exit codes: 0 every article briefed; 1 some articles failed, were not started, or were cut
short past --max-chunks (the rest are still printed and exported, each failure named on
stderr); 2 usage or configuration error; 130 interrupted with Ctrl-C, 143 stopped by
SIGTERM (either way what finished is still written).
Data goes to stdout; progress and diagnostics go to stderr.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import typer

from summarize import signals
from summarize.commands import batch, brief, cache, clean, report, threats, watch
from summarize.commands import eval as evaluate
from summarize.commands.base import Exit, say
from summarize.errors import ConfigError, SummarizeError

if TYPE_CHECKING:
    from collections.abc import Sequence

app = typer.Typer(
    name="summarize",
    help="Turn news articles into structured, evidence-backed threat briefs.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
# Each command lives in a module of its own (`summarize.commands`); registered here in
# the order --help lists them.
app.command()(clean.clean)
app.command()(brief.brief)
app.command()(report.report)
app.add_typer(cache.cache_app, name="cache")
app.add_typer(threats.store_app, name="store")
app.add_typer(threats.threats_app, name="threats")
app.command()(watch.watch)
app.command("eval")(evaluate.evaluate)
app.add_typer(batch.batch_app, name="batch")


def program(args: Sequence[str]) -> int:
    """Run one command line and return its exit status: the one place where errors the
    commands did not handle become exit codes, so no traceback reaches a user for an
    expected error."""
    try:
        app(args=list(args), prog_name="summarize")
    except SummarizeError as error:
        say(str(error), label="error:", style="bold red")
        return int(Exit.USAGE if isinstance(error, ConfigError) else Exit.SOME_FAILED)
    except SystemExit as done:
        # typer turns a stray KeyboardInterrupt into a silent exit 130; say it, and make
        # it 143 when SIGTERM sent it. (`brief` handles its own stops and says more.)
        if isinstance(getattr(done.__context__, "__cause__", None), KeyboardInterrupt):
            how, code = signals.stops.outcome()
            say(how)
            return code
        return done.code if isinstance(done.code, int) else int(done.code is not None)
    return int(Exit.OK)


def main() -> None:
    """Console-script entry point."""
    signals.stops.install()  # Ctrl-C and SIGTERM: one path, 130 or 143
    sys.exit(program(sys.argv[1:]))
