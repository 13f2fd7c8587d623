"""GitHub's "Compare two commits": which commits a deployment added to what was deployed before it.

`GET /repos/{owner}/{repo}/compare/{base}...{head}` (installation token, App permission `contents: read`) answers
`status` (`ahead`, `behind`, `identical` or `diverged`: how `head` relates to `base`), `ahead_by`, `behind_by`,
`total_commits` and `commits`, the commits reachable from `head` and not from `base`, oldest first. Without paging
GitHub lists at most 250 of them (the most recent); with `per_page` and `page` the list is paged. So the commits are
always read paged, until `total_commits` are read, up to `MAX_PAGES` pages: a range longer than that (a deployment
after months of work) comes back with `complete` false rather than costing an unbounded number of requests.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from github_app._reader import Reader
from github_app.client import GitHubClient
from github_app.errors import UnexpectedResponse

# GitHub's statuses of a comparison, as `status` spells them.
AHEAD, BEHIND, IDENTICAL, DIVERGED = "ahead", "behind", "identical", "diverged"
PER_PAGE = 100  # GitHub's largest page
MAX_PAGES = 100  # commits read of one range at most: PER_PAGE * MAX_PAGES


@dataclass(frozen=True, slots=True)
class Comparison:
    """What GitHub says of `base...head`; `commit_shas` oldest first, all `total_commits` of them when `complete`."""

    status: str
    ahead_by: int
    behind_by: int
    total_commits: int
    commit_shas: tuple[str, ...]
    complete: bool


def compare_commits(
    client: GitHubClient, owner: str, name: str, base: str, head: str, *, max_pages: int = MAX_PAGES
) -> Comparison:
    """Compare `base...head` in `owner/name`, reading every page of its commits (up to `max_pages`)."""
    spec = f"{quote(base, safe='')}...{quote(head, safe='')}"
    shas: list[str] = []
    first: Reader | None = None
    for page in range(1, max_pages + 1):
        body = client.get_object(
            f"/repos/{quote(owner, safe='')}/{quote(name, safe='')}/compare/{spec}",
            {"per_page": PER_PAGE, "page": page},
        )
        r = Reader(body, "", UnexpectedResponse)
        first = first or r
        listed = [commit.text("sha") for commit in r.objects("commits")]
        shas.extend(listed)
        if len(shas) >= first.integer("total_commits") or len(listed) < PER_PAGE:
            break
    if first is None:  # max_pages below 1
        raise ValueError("max_pages must be at least 1")
    total = first.integer("total_commits")
    return Comparison(
        status=first.text("status"),
        ahead_by=first.integer("ahead_by"),
        behind_by=first.integer("behind_by"),
        total_commits=total,
        commit_shas=tuple(dict.fromkeys(shas)),
        complete=len(set(shas)) >= total,
    )
