"""Drive a real headless Chromium over the DevTools protocol, with the standard library.

Chromium started with `--remote-debugging-pipe` reads protocol commands from file
descriptor 3 and writes answers and events to descriptor 4, each message JSON ended by a
NUL byte (the transport Puppeteer uses), so no websocket client is needed. `Browser`
opens one page, records every console message, exception and network request, and
evaluates JavaScript in it.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from queue import Empty, Queue
from types import TracebackType
from typing import Any

FLAGS = (
    "--headless",
    "--no-sandbox",  # tests run as root, where Chromium's sandbox refuses to start
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--mute-audio",
    "--remote-debugging-pipe",
)


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if found := shutil.which(name):
            return found
    return None


class Browser:
    """One headless Chromium with one page; use as a context manager."""

    def __init__(self, executable: str, *, width: int = 1280, height: int = 900) -> None:
        self.executable = executable
        self.size = (width, height)
        self.events: list[dict[str, Any]] = []
        self._answers: dict[int, Queue[dict[str, Any]]] = {}
        self._lock = threading.Lock()
        self._next_id = 0
        self._session: str | None = None
        self._profile = tempfile.TemporaryDirectory(prefix="chromium-profile-")

    def __enter__(self) -> Browser:
        commands_read, self._commands = os.pipe()
        self._replies, replies_write = os.pipe()

        def wire_descriptors() -> None:  # in the child: the protocol's fds are 3 and 4
            # copies above 10 first, so that moving one onto 3 or 4 cannot close the other
            high_read = fcntl.fcntl(commands_read, fcntl.F_DUPFD, 10)
            high_write = fcntl.fcntl(replies_write, fcntl.F_DUPFD, 10)
            os.dup2(high_read, 3)
            os.dup2(high_write, 4)

        self._process = subprocess.Popen(
            [self.executable, *FLAGS, f"--user-data-dir={self._profile.name}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=wire_descriptors,  # noqa: PLW1509 - no other thread started yet
            pass_fds=(3, 4),  # kept open in the child once the rest are closed
        )
        os.close(commands_read)
        os.close(replies_write)
        threading.Thread(target=self._read, daemon=True).start()
        target = self.call("Target.createTarget", url="about:blank", session=False)
        attached = self.call(
            "Target.attachToTarget", targetId=target["targetId"], flatten=True, session=False
        )
        self._session = attached["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable")
        width, height = self.size
        self.call(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        with contextlib.suppress(TimeoutError, OSError):  # it may be gone already
            self.call("Browser.close", session=False, timeout=5)
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        os.close(self._commands)
        self._profile.cleanup()

    def _read(self) -> None:
        buffer = b""
        while chunk := os.read(self._replies, 65536):
            buffer += chunk
            *messages, buffer = buffer.split(b"\0")
            for raw in messages:
                message = json.loads(raw)
                if "id" in message:
                    with self._lock:
                        waiting = self._answers.get(message["id"])
                    if waiting is not None:
                        waiting.put(message)
                else:
                    self.events.append(message)
        os.close(self._replies)

    def call(self, method: str, *, session: bool = True, timeout: float = 30, **params: Any) -> Any:
        """Send one protocol command; its result, or RuntimeError with the browser's error."""
        with self._lock:
            self._next_id += 1
            number = self._next_id
            answer: Queue[dict[str, Any]] = Queue()
            self._answers[number] = answer
        message: dict[str, Any] = {"id": number, "method": method, "params": params}
        if session and self._session:
            message["sessionId"] = self._session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        try:
            reply = answer.get(timeout=timeout)
        except Empty:
            raise TimeoutError(f"Chromium did not answer {method} in {timeout} s") from None
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    def open(self, url: str, *, timeout: float = 30) -> None:
        """Navigate and wait for the page's load event."""
        seen = len(self.events)
        self.call("Page.navigate", url=url)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(e["method"] == "Page.loadEventFired" for e in self.events[seen:]):
                return
            time.sleep(0.02)
        raise TimeoutError(f"{url} did not load in {timeout} s")

    def evaluate(self, expression: str) -> Any:
        """The JSON value of a JavaScript expression in the page (awaited if a promise)."""
        result = self.call(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression!r} threw: {result['exceptionDetails']}")
        return result["result"].get("value")

    def click(self, x: float, y: float) -> None:
        """A real left click at viewport coordinates, as a mouse makes one."""
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def screenshot(self, path: Path) -> None:
        data = self.call("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))

    def problems(self) -> list[str]:
        """Console errors, warnings and uncaught exceptions the page produced."""
        found: list[str] = []
        for event in self.events:
            params = event.get("params", {})
            if event["method"] == "Runtime.exceptionThrown":
                found.append(f"exception: {params['exceptionDetails']}")
            elif event["method"] == "Runtime.consoleAPICalled" and params["type"] in {
                "error",
                "warning",
                "assert",
            }:
                found.append(f"console.{params['type']}: {params['args']}")
            elif event["method"] == "Log.entryAdded" and params["entry"]["level"] in {
                "error",
                "warning",
            }:
                found.append(f"log: {params['entry']['text']}")
        return found

    def requests(self) -> list[str]:
        """The URL of every request the page made, the page itself included."""
        return [
            event["params"]["request"]["url"]
            for event in self.events
            if event["method"] == "Network.requestWillBeSent"
        ]
