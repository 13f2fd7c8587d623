"""Log context: what one delivery or one import is about, bound once and carried by every line logged meanwhile.

``log_context(delivery_id=…, event=…)`` binds values in a ``contextvars.ContextVar`` for the duration of a ``with``
block (a webhook request, a worker processing a delivery, an import). ``BoundContext``, a filter on the console
handler, copies them onto each record as attributes, exactly as ``extra={...}`` does; both formatters then write
every such attribute: ``KeyValueFormatter`` appends them as ``key=value`` (the readable default), python-json-logger's
formatter (``LOG_FORMAT=json``) writes them as JSON keys. So an operator follows one delivery with
``grep <delivery id>`` through the web process's and the worker's logs.

One set of key names everywhere (``KEYS``): ``delivery_id`` is GitHub's ``X-GitHub-Delivery``, never our row id.
A context variable rather than a thread-local: it follows the request's thread under gunicorn's gthread workers and
is restored when the ``with`` block ends, so nothing leaks into the next request or task. Binding is a dictionary
merge; nothing is formatted unless a line is actually logged.
"""

from __future__ import annotations

import json
import logging
from contextvars import ContextVar
from typing import Any

# The names operators grep and dashboards group by; bind nothing else under other names for the same facts.
DELIVERY_ID, EVENT, ACTION, INSTALLATION_ID, REPOSITORY = (
    "delivery_id",
    "event",
    "action",
    "installation_id",
    "repository",
)
KEYS = (DELIVERY_ID, EVENT, ACTION, INSTALLATION_ID, REPOSITORY)

_bound: ContextVar[dict[str, Any]] = ContextVar("tformance_log_context", default={})  # noqa: B039 - never mutated

# Attributes every LogRecord has; anything else on a record came from ``extra`` or from the bound context.
_RECORD_ATTRIBUTES = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}
# Django's request logging passes the request object and a timestamp: nothing an operator greps, and the request's
# repr would flood each line.
NOT_LOGGED = frozenset({"request", "server_time"})


class log_context:  # lower case: used as a function, ``with log_context(delivery_id=…):``
    """Bind ``values`` (None and "" skipped) on top of what is bound already, until the ``with`` block ends.

    A class rather than ``@contextmanager``: the webhook request enters one per delivery, and a generator-based
    context manager adds a generator's set-up and teardown to each (``benchmarks/bench_observability.py``)."""

    __slots__ = ("_token", "_values")

    def __init__(self, **values: Any) -> None:
        self._values = values

    def __enter__(self) -> None:
        bound = dict(_bound.get())
        for key, value in self._values.items():
            if value is not None and value != "":
                bound[key] = value
        self._token = _bound.set(bound)

    def __exit__(self, *exc_info: object) -> None:
        _bound.reset(self._token)


def log_context_bind(**values: Any) -> None:
    """Add to the current block's context (values learnt once it has begun, e.g. after parsing a payload)."""
    bound = dict(_bound.get())
    for key, value in values.items():
        if value is not None and value != "":
            bound[key] = value
    _bound.set(bound)


def bound_context() -> dict[str, Any]:
    """What is bound now (a copy)."""
    return dict(_bound.get())


class BoundContext(logging.Filter):
    """Puts the bound context on each record; a key the call passed in ``extra`` keeps the call's value."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in _bound.get().items():
            if key not in record.__dict__:
                record.__dict__[key] = value
        return True


def record_fields(record: logging.LogRecord) -> dict[str, Any]:
    """The record's own fields: the bound context first (in ``KEYS`` order), then anything else from ``extra``."""
    extra = {k: v for k, v in record.__dict__.items() if k not in _RECORD_ATTRIBUTES and k not in NOT_LOGGED}
    ordered = {k: extra.pop(k) for k in KEYS if k in extra}
    ordered.update(extra)
    return ordered


def _text(value: Any) -> str:
    """``value`` as it reads after ``key=``; quoted (JSON string) when it holds spaces, quotes or ``=``."""
    if isinstance(value, bool | int | float):
        return str(value)
    text = str(value)
    if not text or any(c.isspace() or c in '"=\\' for c in text) or not text.isprintable():
        return json.dumps(text)
    return text


class KeyValueFormatter(logging.Formatter):
    """The readable default: the usual line, then the record's fields as ``key=value`` (before any traceback)."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        line = super().formatMessage(record)
        fields = record_fields(record)
        if not fields:
            return line
        return line + " " + " ".join(f"{key}={_text(value)}" for key, value in fields.items())
