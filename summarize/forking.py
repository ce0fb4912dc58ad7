"""The fork server worker processes start from (`summarize.workers`).

It imports the model stack and the briefing once (about 2 s of CPU, most of it compiling
the injection scan's patterns); each worker is then a fork of it, ready at once. Started
early (`start`), it imports while the parent goes on reading its inputs. Nothing here
imports the briefing itself, so starting it costs the caller nothing.
"""

from __future__ import annotations

import multiprocessing

PRELOAD = ["summarize.workers", "summarize.pipeline", "summarize.client", "openai", "instructor"]


def context() -> multiprocessing.context.ForkServerContext:
    """The fork server's context, its preload set."""
    forkserver = multiprocessing.get_context("forkserver")
    forkserver.set_forkserver_preload(PRELOAD)
    return forkserver


def start() -> None:
    """Start the fork server now, if it is not running."""
    from multiprocessing import forkserver

    context()
    forkserver.ensure_running()
