"""The token cache interface and an in-process implementation.

`TokenCache` is the subset of Django's cache API the token provider needs, with the same
positional signatures, so `django.core.cache.cache` (Redis in production) can be passed as-is and
tokens are shared by every web and worker process.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol


class TokenCache(Protocol):
    def get(self, key: str) -> str | None: ...

    def set(self, key: str, value: str, timeout: float) -> None: ...

    def add(self, key: str, value: str, timeout: float) -> bool:
        """Store only if absent; True if stored. Used as a cross-process lock."""
        ...

    def delete(self, key: str) -> object: ...


class MemoryCache:
    """Thread-safe in-memory `TokenCache` for one process (tests, scripts, the embedded demo).

    Entries expire `timeout` seconds after being written, measured on the injected clock.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._data: dict[str, tuple[str, float]] = {}

    def __repr__(self) -> str:
        return f"MemoryCache(entries={len(self._data)})"

    def _live(self, key: str, now: float) -> str | None:
        entry = self._data.get(key)
        if entry is None:
            return None
        if entry[1] <= now:
            del self._data[key]
            return None
        return entry[0]

    def get(self, key: str) -> str | None:
        with self._lock:
            return self._live(key, self._clock())

    def set(self, key: str, value: str, timeout: float) -> None:
        with self._lock:
            self._data[key] = (value, self._clock() + timeout)

    def add(self, key: str, value: str, timeout: float) -> bool:
        with self._lock:
            now = self._clock()
            if self._live(key, now) is not None:
                return False
            self._data[key] = (value, now + timeout)
            return True

    def delete(self, key: str) -> None:
        with self._lock:
            self._data.pop(key, None)
