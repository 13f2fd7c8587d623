"""Compare the *shape* of two JSON documents: the keys they carry and the JSON type of each value, recursively.

GitHub's examples and our own fixtures hold different values (ids, names, times), so only the structure is
compared. Tolerances, each because GitHub itself varies there:

- ``null`` matches anything: nullable fields are ``null`` in one example and set in another;
- an integer matches where a number is expected (``duration: 0``);
- a timestamp (``*_at``) may be a string or epoch seconds (``installation.created_at`` is both in GitHub's payloads);
- an empty list or object in the reference says nothing about its items; list items are compared with the
  reference's first item;
- objects that are maps (``permissions``: permission name → level) are compared by the type of their values only;
- a key GitHub does not send in this example is accepted when GitHub sends it in the same kind of object elsewhere
  (``known``: parent key → every key seen under it across GitHub's corpus), e.g. ``repository.visibility``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

JSON_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "object"}
MAPS = frozenset({"permissions", "custom_properties"})

Known = Mapping[str, set[str]]


def json_type(value: Any) -> str:
    return "null" if value is None else JSON_TYPES[type(value)]


def known_keys(documents: Iterable[Any]) -> dict[str, set[str]]:
    """Parent key → every key GitHub puts in an object under it, across ``documents``."""
    known: dict[str, set[str]] = {}

    def walk(node: Any, parent: str) -> None:
        if isinstance(node, dict):
            known.setdefault(parent, set()).update(node)
            for key, value in node.items():
                walk(value, key)
        elif isinstance(node, list):
            for item in node:
                walk(item, parent)

    for document in documents:
        walk(document, "$")
    return known


def _compatible(ours: Any, theirs: Any, key: str) -> bool:
    mine, reference = json_type(ours), json_type(theirs)
    if mine == reference or "null" in (mine, reference):
        return True
    if (mine, reference) == ("integer", "number"):
        return True
    return key.endswith("_at") and {mine, reference} <= {"string", "integer"}


def shape_differences(
    ours: Any, theirs: Any, *, known: Known | None = None, optional: Iterable[str] = (), path: str = "$"
) -> list[str]:
    """Every place where ``ours`` has another shape than ``theirs`` (GitHub's), one ``path: what`` line each.

    Reported: a value of another type; a key GitHub sends that ours lacks (unless its path ends with one of
    ``optional``: fields GitHub's schema marks optional); a key of ours GitHub never sends in that kind of object.
    """
    key = path.rsplit(".", 1)[-1].split("[", 1)[0]
    if not _compatible(ours, theirs, key):
        return [f"{path}: {json_type(ours)}, GitHub sends {json_type(theirs)}"]
    if isinstance(ours, dict) and isinstance(theirs, dict) and theirs:
        if key in MAPS:
            sample = next(iter(theirs.values()))
            return [d for k, v in ours.items() for d in shape_differences(v, sample, path=f"{path}.{k}")]
        return _object_differences(ours, theirs, key, known or {}, tuple(optional), path)
    if isinstance(ours, list) and isinstance(theirs, list) and theirs:
        return [
            d
            for index, item in enumerate(ours)
            for d in shape_differences(item, theirs[0], known=known, optional=optional, path=f"{path}[{index}]")
        ]
    return []


def _object_differences(
    ours: dict[str, Any], theirs: dict[str, Any], key: str, known: Known, optional: tuple[str, ...], path: str
) -> list[str]:
    found = [
        f"{path}.{k}: missing, GitHub sends it"
        for k in theirs
        if k not in ours and not f"{path}.{k}".endswith(optional or ("\0",))
    ]
    found += [
        f"{path}.{k}: GitHub does not send it" for k in ours if k not in theirs and k not in known.get(key, set())
    ]
    for k in ours.keys() & theirs.keys():
        found += shape_differences(ours[k], theirs[k], known=known, optional=optional, path=f"{path}.{k}")
    return found
