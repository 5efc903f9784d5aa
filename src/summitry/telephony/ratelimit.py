"""Admission of calls before anything is allocated: a token bucket per source, a cap on calls."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

_MAX_SOURCES = 10_000


@dataclass
class _Bucket:
    tokens: float
    at: float


class TokenBuckets:
    """``rate`` requests a second per source, in bursts of up to ``burst``.

    Called from the SIP thread, read by the application: a lock keeps it consistent.
    """

    def __init__(
        self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be positive and burst at least 1")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def allow(self, source: str) -> bool:
        """Take one token from ``source``'s bucket; False when it is empty."""
        now = self._clock()
        with self._lock:
            bucket = self._buckets.get(source)
            if bucket is None:
                if len(self._buckets) >= _MAX_SOURCES:
                    self._forget_full(now)
                bucket = self._buckets[source] = _Bucket(self.burst, now)
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.rate)
            bucket.at = now
            if bucket.tokens < 1:
                return False
            bucket.tokens -= 1
            return True

    def _forget_full(self, now: float) -> None:
        # A flood from many addresses must not grow memory: buckets that have refilled are
        # the same as new ones, so they can go.
        refill = self.burst / self.rate
        for source, bucket in list(self._buckets.items()):
            if now - bucket.at >= refill:
                del self._buckets[source]
        if len(self._buckets) >= _MAX_SOURCES:
            self._buckets.clear()


class CallSlots:
    """At most ``total`` calls at once, and at most ``per_source`` from one address."""

    def __init__(self, total: int, per_source: int) -> None:
        self.total = total
        self.per_source = per_source
        self._by_source: dict[str, int] = {}
        self._lock = threading.Lock()

    @property
    def in_use(self) -> int:
        with self._lock:
            return sum(self._by_source.values())

    def take(self, source: str) -> bool:
        with self._lock:
            if sum(self._by_source.values()) >= self.total:
                return False
            if self._by_source.get(source, 0) >= self.per_source:
                return False
            self._by_source[source] = self._by_source.get(source, 0) + 1
            return True

    def give_back(self, source: str) -> None:
        with self._lock:
            left = self._by_source.get(source, 0) - 1
            if left > 0:
                self._by_source[source] = left
            else:
                self._by_source.pop(source, None)


class Lockouts:
    """Sources that keep failing PINs are refused for a while: ``limit`` refused calls within
    ``window`` seconds lock a source out for ``duration`` seconds (caller ID is spoofable, the
    source address of the signalling much less so)."""

    def __init__(
        self,
        limit: int = 3,
        window: float = 600.0,
        duration: float = 900.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self.duration = duration
        self._clock = clock
        self._failures: dict[str, list[float]] = {}
        self._until: dict[str, float] = {}
        self._lock = threading.Lock()

    def failed(self, source: str) -> None:
        now = self._clock()
        with self._lock:
            recent = [t for t in self._failures.get(source, []) if now - t < self.window]
            recent.append(now)
            self._failures[source] = recent
            if len(recent) >= self.limit:
                self._until[source] = now + self.duration
                del self._failures[source]
            if len(self._failures) > _MAX_SOURCES:
                self._failures.clear()  # a flood of sources: forget, the buckets still hold

    def locked(self, source: str) -> bool:
        now = self._clock()
        with self._lock:
            until = self._until.get(source)
            if until is None:
                return False
            if now >= until:
                del self._until[source]
                return False
            return True
