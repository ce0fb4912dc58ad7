"""The adaptive gate: learns the provider's concurrency from 429s, so no article is lost."""

from __future__ import annotations

from pathlib import Path

from summarize.articles import read_inputs
from summarize.batch import run_batch
from summarize.client import ModelClient
from summarize.loopback import LoopbackServer, Throttled, structured_reply
from summarize.modelconfig import ModelConfig, RetryPolicy
from summarize.options import BriefOptions
from summarize.prompts import load_prompt
from summarize.ratelimit import AdaptiveLimit
from summarize.results import Failure
from tests.conftest import extraction
from tests.test_batch import write_stories


def test_a_429_drops_the_limit_to_what_the_provider_was_serving() -> None:
    """With five in flight, a 429 on one leaves the limit at the four still admitted."""
    gate = AdaptiveLimit()
    for _ in range(5):
        gate.acquire()
    gate.release(throttled=True)
    assert gate.limit == 4


def test_successes_grow_the_limit_by_one_after_twice_the_limit() -> None:
    """A limit of 2 becomes 3 after four successes in a row, and no sooner."""
    gate = AdaptiveLimit()
    for _ in range(3):
        gate.acquire()
    gate.release(throttled=True)  # limit 2
    gate.release(throttled=False)
    gate.release(throttled=False)
    for expected in (2, 3):  # the third and fourth successes
        gate.acquire()
        gate.release(throttled=False)
        assert gate.limit == expected


def test_a_batch_wider_than_the_provider_loses_no_article(tmp_path: Path) -> None:
    """Eight workers against a provider admitting two: all 16 briefs, few 429s."""
    provider = Throttled(
        lambda request: structured_reply(request, extraction(threats=[], dates=[])),
        latency=0.05,
        admits=2,
        retry_headers={"retry-after-ms": "100"},
    )
    write_stories(tmp_path / "in", 16)
    with LoopbackServer(provider) as server:
        config = ModelConfig(
            model="m", base_url=server.url, retry=RetryPolicy(max_attempts=5, initial_wait=0.01)
        )
        client = ModelClient(config)
        try:
            items = read_inputs([str(tmp_path / "in")])
            outcome = run_batch(items, client, load_prompt(), BriefOptions(), concurrency=8)
        finally:
            client.close()
    assert not [r for r in outcome.results if isinstance(r, Failure)]
    assert len(outcome.results) == 16
    assert provider.peak == 2
    assert provider.rejected < 16  # the gate learned; without it each article races anew


def test_a_release_wakes_one_waiter_per_free_slot_not_every_waiter() -> None:
    """Twenty threads wait at a full gate; one release lets one through and wakes one
    (waking all twenty to find one slot cost the system time of a wide -j)."""
    import threading
    import time

    gate = AdaptiveLimit(ceiling=1)
    wakeups = 0
    condition = gate._condition
    original_wait = condition.wait

    def counting_wait(timeout: float | None = None) -> bool:
        nonlocal wakeups
        woke = original_wait(timeout)
        wakeups += 1
        return woke

    condition.wait = counting_wait  # type: ignore[method-assign]
    gate.acquire()
    passed = threading.Semaphore(0)

    def wait_then_pass() -> None:
        gate.acquire()
        passed.release()

    threads = [threading.Thread(target=wait_then_pass, daemon=True) for _ in range(20)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 10
    while len(condition._waiters) < 20 and time.monotonic() < deadline:  # type: ignore[attr-defined]
        time.sleep(0.01)
    gate.release(throttled=False)
    assert passed.acquire(timeout=10)
    time.sleep(0.2)  # time for any other woken waiter to run
    assert wakeups == 1
    for _ in range(19):  # let the rest through, one by one
        gate.release(throttled=False)
        assert passed.acquire(timeout=10)
