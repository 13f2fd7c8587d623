"""Typed reads from decoded JSON that name the failing field path (`pull_request.user.id`).

Webhook payloads and GraphQL answers are data from the network; a missing or mistyped field must
surface as one well-named exception, never a KeyError or TypeError from deep inside a parser.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

_MISSING = object()
# GitHub's ids are 64-bit signed integers (GraphQL's BigInt database ids, the databases' bigint columns): a larger
# number in a payload is bad data, reported like any other mistyped field rather than overflowing a column later.
INT64 = range(-(2**63), 2**63)


class Reader:
    """A view of one JSON object at `path`; `error` is the exception class raised for bad data."""

    __slots__ = ("data", "error", "path")

    def __init__(self, data: Any, path: str, error: type[Exception]) -> None:
        if not isinstance(data, Mapping):
            raise error(f"{path or 'payload'}: expected an object, got {type(data).__name__}")
        self.data, self.path, self.error = data, path, error

    def _where(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def _fail(self, key: str, expected: str, value: Any) -> Exception:
        got = "missing" if value is _MISSING else f"got {type(value).__name__}"
        return self.error(f"{self._where(key)}: expected {expected}, {got}")

    def _get(self, key: str, types: type | tuple[type, ...], expected: str, optional: bool) -> Any:
        value = self.data.get(key, _MISSING)
        if optional and (value is _MISSING or value is None):
            return None
        if isinstance(value, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
            raise self._fail(key, expected, value)
        if value is _MISSING or not isinstance(value, types):
            raise self._fail(key, expected, value)
        return value

    def integer(self, key: str) -> int:
        return self._int64(key, self._get(key, int, "an integer", False))

    def opt_integer(self, key: str) -> int | None:
        value = self._get(key, int, "an integer or null", True)
        return None if value is None else self._int64(key, value)

    def _int64(self, key: str, value: int) -> int:
        if value not in INT64:
            raise self.error(f"{self._where(key)}: expected a 64-bit integer, got {value}")
        return value

    def big_integer(self, key: str) -> int:
        """A GraphQL ``BigInt`` (64-bit ids such as ``fullDatabaseId``): GitHub sends it as a decimal string."""
        value = self._get(key, str, "a BigInt string", False)
        if not value.lstrip("-").isdigit():
            raise self.error(f"{self._where(key)}: expected a BigInt string, got {value[:30]!r}")
        return int(value)

    def text(self, key: str) -> str:
        value: str = self._get(key, str, "a string", False)
        return value

    def opt_text(self, key: str) -> str | None:
        value: str | None = self._get(key, str, "a string or null", True)
        return value

    def flag(self, key: str, default: bool | None = None) -> bool:
        if default is not None and self.data.get(key) is None:
            return default
        value: bool = self._get(key, bool, "a boolean", False)
        return value

    def opt_flag(self, key: str) -> bool | None:
        """A boolean GitHub added later (older payloads lack it): absent or null reads as None, never a guess."""
        value: bool | None = self._get(key, bool, "a boolean or null", True)
        return value

    def obj(self, key: str) -> Reader:
        return Reader(self._get(key, Mapping, "an object", False), self._where(key), self.error)

    def opt_obj(self, key: str) -> Reader | None:
        value = self._get(key, Mapping, "an object or null", True)
        return None if value is None else Reader(value, self._where(key), self.error)

    def mapping(self, key: str) -> Mapping[str, Any]:
        """A sub-object kept as-is (permissions, changes); absent or null reads as empty."""
        value = self._get(key, Mapping, "an object or null", True)
        return value if value is not None else {}

    def objects(self, key: str, optional: bool = True) -> list[Reader]:
        """A list of objects; absent or null reads as empty when `optional`."""
        items = self._get(key, list, "a list", optional) or []
        return [Reader(item, f"{self._where(key)}[{i}]", self.error) for i, item in enumerate(items)]

    def strings(self, key: str) -> tuple[str, ...]:
        items = self._get(key, list, "a list", True) or []
        if not all(isinstance(item, str) for item in items):
            raise self.error(f"{self._where(key)}: expected a list of strings")
        return tuple(items)

    def timestamp(self, key: str) -> datetime:
        value = self.opt_timestamp(key)
        if value is None:
            raise self._fail(key, "a timestamp", self.data.get(key, _MISSING))
        return value

    def opt_timestamp(self, key: str) -> datetime | None:
        """ISO-8601 (`2019-05-15T15:20:33Z`, `...000-04:00`) or epoch seconds, as aware UTC."""
        value = self.data.get(key)
        if value is None:
            return None
        try:
            if isinstance(value, str):
                parsed = datetime.fromisoformat(value)
                return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
            if isinstance(value, int | float) and not isinstance(value, bool):
                return datetime.fromtimestamp(value, tz=UTC)
        except (ValueError, OverflowError, OSError):
            pass
        raise self._fail(key, "an ISO-8601 timestamp or epoch seconds", value)
