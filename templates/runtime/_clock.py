"""Time, sleeping and jitter: the one seam through which the client sees time.

Tests replace a client's `_clock` with their own `Clock` subclass to record the pauses asked
for and to move time forward without waiting.
"""

from __future__ import annotations

import random
import time

__all__ = ["Clock"]


class Clock:
    """Wall time (`now`), a monotonic clock, blocking and async sleep, and a jitter source."""

    def __init__(self, rng: random.Random | None = None) -> None:
        self.rng = rng or random.Random()

    def now(self) -> float:
        """Seconds since the epoch (for HTTP dates)."""
        return time.time()

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (for deadlines)."""
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    async def asleep(self, seconds: float) -> None:
        import asyncio  # here, so that a blocking-only program never imports it

        await asyncio.sleep(seconds)

    def jitter(self) -> float:
        """A number in [0, 1)."""
        return self.rng.random()
