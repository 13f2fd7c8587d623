"""Pagination helpers for GitHub's two REST styles.

Most list endpoints send a `Link` header: `<https://api.github.com/x?page=2>; rel="next", <...>; rel="last"`.
`GET /app/hook/deliveries` uses the same header but its next URL carries a `cursor` query parameter.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

_LINK_PART = re.compile(r'<([^>]*)>\s*;\s*(?:[^,]*?;\s*)*?rel="?([^",;]+)"?')


def parse_link_header(value: str | None) -> dict[str, str]:
    """Map each `rel` of a Link header to its URL; empty for a missing header."""
    if not value:
        return {}
    links: dict[str, str] = {}
    for match in _LINK_PART.finditer(value):
        url, rels = match.group(1), match.group(2)
        for rel in rels.split():
            links.setdefault(rel, url)
    return links


def next_cursor(link_header: str | None) -> str | None:
    """The `cursor` query parameter of the `rel="next"` URL, or None on the last page."""
    url = parse_link_header(link_header).get("next")
    if url is None:
        return None
    values = parse_qs(urlsplit(url).query).get("cursor")
    return values[0] if values else None


def same_origin(url: str, base_url: str) -> bool:
    """Whether `url` points at the same scheme and host as `base_url`.

    A Link header is data from the network; following it to another host would send our
    Authorization header there.
    """
    a, b = urlsplit(url), urlsplit(base_url)
    return (a.scheme, a.netloc) == (b.scheme, b.netloc)
