"""Learn how many requests a provider admits at once, from its 429s.

A batch may run more workers (`-j`) than the provider admits. Retrying each 429 on its
own makes the rejected requests race the admitted ones forever, and an unlucky article
can spend its whole retry budget losing. Instead every request of a client passes one
gate whose limit is learned the way TCP learns a window:

- on a 429, the limit drops to the number of our requests the provider was serving at
  that moment (it admitted those, so it admits about that many);
- after a run of successes as long as twice the limit, it grows by one, to find room
  that has opened up (a probe costs at most one more 429).

The first 429 happens at whatever concurrency the user asked for; after that, waiting
requests queue at the gate instead of at the provider.
"""

from __future__ import annotations

import threading


class AdaptiveLimit:
    """A semaphore whose size follows the provider's 429s (additive increase,
    drop to what was admitted on overload)."""

    def __init__(self, ceiling: int = 1024) -> None:
        self.ceiling = ceiling
        self.limit = ceiling
        self.in_flight = 0
        self._successes = 0
        self._condition = threading.Condition()

    def acquire(self) -> None:
        with self._condition:
            while self.in_flight >= self.limit:
                self._condition.wait()
            self.in_flight += 1

    def release(self, *, throttled: bool) -> None:
        """Give the slot back; `throttled` when the provider answered 429."""
        with self._condition:
            self.in_flight -= 1
            if throttled:
                self.limit = max(1, min(self.limit, self.in_flight))
                self._successes = 0
            else:
                self._successes += 1
                if self._successes >= 2 * self.limit and self.limit < self.ceiling:
                    self.limit += 1
                    self._successes = 0
            # Wake as many waiters as there are free slots, not all of them: at -j 200
            # every release woke 199 threads to find one slot.
            if (free := self.limit - self.in_flight) > 0:
                self._condition.notify(free)
