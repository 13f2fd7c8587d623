"""Pull-request histories as GitHub lives them, and what GitHub tells us of them by each road.

A history is a list of ``Fact`` (what a person did on GitHub, at a whole second; seconds may tie). ``GitHubWorld``
replays the first ``k`` facts into the state GitHub holds at that moment, from which come both roads' words:

- ``delivery(i)``: the webhook GitHub sends for fact ``i`` — ``pull_request`` opened / ready_for_review /
  converted_to_draft / review_requested / review_request_removed / labeled / closed / reopened, or
  ``pull_request_review`` submitted — with the PR as it is right after the fact (``updated_at`` the fact's
  second) and every person under the login they had then;
- ``graphql_nodes(k)``: the ``pullRequests`` nodes GraphQL answers after ``k`` facts (``graphql_fake`` shape),
  every person under their login of that moment, most recently updated first.

``histories()`` only draws what GitHub allows: the author cannot request their own review nor approve or request
changes on their own PR (they can comment); only an open PR is readied, drafted, closed, merged (never a draft) or
has reviewers requested; only a closed, unmerged PR is reopened; a review satisfies its author's pending request
(GitHub sends no ``review_request_removed`` then); reviews may come after the merge.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from apps.integrations.tests.graphql_fake import BASE, FULL_NAME, REPO_ID, iso, pr_id, review_id

# person key → (GitHub id, login before any rename)
PEOPLE = {"ada": (11, "ada"), "alice": (12, "alice"), "bob": (13, "bob"), "carol": (14, "carol")}
REVIEWERS = ("alice", "bob", "carol")
LABELS = ("hotfix", "bug")
START = BASE - timedelta(days=30)  # the first fact's second
# Gaps between facts: ties (0 s) and one-second neighbours are as likely as hours.
GAPS = (0, 1, 1800, 3600, 2 * 3600, 5 * 3600, 26 * 3600)


@dataclass(frozen=True)
class Fact:
    """One thing done on GitHub. ``who`` acts (the reviewer for a review, the renamed person for a rename),
    ``whom`` is the requested reviewer, ``what`` a review state (upper case), a label, or ``draft``."""

    kind: str  # open, ready, draft, request, unrequest, review, label, close, reopen, merge, rename
    at: datetime
    number: int = 0
    who: str = "ada"
    whom: str = ""
    what: str = ""

    def __repr__(self) -> str:
        detail = " ".join(x for x in (self.who, self.whom, self.what) if x)
        return f"<{self.kind} #{self.number} +{int((self.at - START).total_seconds())}s {detail}>"


@dataclass
class PRState:
    number: int
    author: str
    created: datetime
    draft: bool
    state: str = "open"  # open, closed, merged
    updated: datetime | None = None
    closed_at: datetime | None = None
    merged_at: datetime | None = None
    labels: list[str] = field(default_factory=list)
    requested: list[str] = field(default_factory=list)
    reviews: list[tuple[int, str, str, datetime]] = field(default_factory=list)  # id, who, STATE, at
    timeline: list[tuple[str, datetime, str, str]] = field(default_factory=list)  # typename, at, actor, subject


class GitHubWorld:
    """GitHub's state after the first ``k`` facts of a history."""

    def __init__(self, facts: list[Fact]) -> None:
        self.facts = facts

    def at(self, k: int) -> tuple[dict[int, PRState], dict[str, str]]:
        prs: dict[int, PRState] = {}
        logins = {key: login for key, (_, login) in PEOPLE.items()}
        for fact in self.facts[:k]:
            _apply(prs, logins, fact)
        return prs, logins

    def delivery(self, i: int, installation_id: int) -> tuple[str, dict[str, Any]] | None:
        """(event, payload) GitHub sends for fact ``i``, or None (a rename sends nothing to a PR's webhook)."""
        fact = self.facts[i]
        if fact.kind == "rename":
            return None
        prs, logins = self.at(i + 1)
        pr = prs[fact.number]
        base = {
            "repository": {"id": REPO_ID, "name": "api", "full_name": FULL_NAME, "owner": _user("acme", 900),
                           "private": True},
            "installation": {"id": installation_id},
            "sender": _person(fact.who, logins),
        }  # fmt: skip
        if fact.kind == "review":
            number, who, state, at = pr.reviews[-1]
            review = {"id": number, "user": _person(who, logins), "body": "", "state": state.lower(),
                      "submitted_at": iso(at), "commit_id": "0" * 40}  # fmt: skip
            pull_request = _pr_payload(pr, logins, short=True)
            return "pull_request_review", {
                "action": "submitted",
                "review": review,
                "pull_request": pull_request,
                **base,
            }
        action = {
            "open": "opened", "ready": "ready_for_review", "draft": "converted_to_draft",
            "request": "review_requested", "unrequest": "review_request_removed", "label": "labeled",
            "close": "closed", "merge": "closed", "reopen": "reopened",
        }[fact.kind]  # fmt: skip
        payload = {"action": action, "number": pr.number, "pull_request": _pr_payload(pr, logins), **base}
        if fact.kind in {"request", "unrequest"}:
            payload["requested_reviewer"] = _person(fact.whom, logins)
        if fact.kind == "label":
            payload["label"] = {"name": fact.what, "color": "ededed"}
        return "pull_request", payload

    def graphql_nodes(self, k: int) -> list[dict[str, Any]]:
        prs, logins = self.at(k)
        nodes = [_node(pr, logins) for pr in prs.values()]
        return sorted(nodes, key=lambda n: (n["updatedAt"], n["number"]), reverse=True)


def _apply(prs: dict[int, PRState], logins: dict[str, str], fact: Fact) -> None:
    if fact.kind == "rename":
        logins[fact.who] = f"{PEOPLE[fact.who][1]}-renamed"
        return
    if fact.kind == "open":
        prs[fact.number] = PRState(fact.number, fact.who, fact.at, draft=fact.what == "draft", updated=fact.at)
        return
    pr = prs[fact.number]
    pr.updated = fact.at
    if fact.kind == "ready":
        pr.draft = False
        pr.timeline.append(("ReadyForReviewEvent", fact.at, fact.who, ""))
    elif fact.kind == "draft":
        pr.draft = True
        pr.timeline.append(("ConvertToDraftEvent", fact.at, fact.who, ""))
    elif fact.kind == "request":
        pr.requested.append(fact.whom)
        pr.timeline.append(("ReviewRequestedEvent", fact.at, fact.who, fact.whom))
    elif fact.kind == "unrequest":
        pr.requested.remove(fact.whom)
        pr.timeline.append(("ReviewRequestRemovedEvent", fact.at, fact.who, fact.whom))
    elif fact.kind == "review":
        pr.reviews.append((review_id(pr.number, len(pr.reviews)), fact.who, fact.what, fact.at))
        if fact.who in pr.requested:
            pr.requested.remove(fact.who)  # the request is satisfied; GitHub sends no review_request_removed
    elif fact.kind == "label":
        pr.labels.append(fact.what)
    elif fact.kind == "close":
        pr.state, pr.closed_at = "closed", fact.at
        pr.timeline.append(("ClosedEvent", fact.at, fact.who, ""))
    elif fact.kind == "merge":
        pr.state, pr.closed_at, pr.merged_at = "merged", fact.at, fact.at
        pr.timeline.append(("ClosedEvent", fact.at, fact.who, ""))  # a merged PR's timeline holds its close too
    elif fact.kind == "reopen":
        pr.state, pr.closed_at = "open", None
        pr.timeline.append(("ReopenedEvent", fact.at, fact.who, ""))


def _user(login: str, user_id: int) -> dict[str, Any]:
    return {"login": login, "id": user_id, "type": "User", "avatar_url": ""}


def _person(key: str, logins: dict[str, str]) -> dict[str, Any]:
    return _user(logins[key], PEOPLE[key][0])


def _actor(key: str, logins: dict[str, str]) -> dict[str, Any]:
    return {"__typename": "User", "login": logins[key], "avatarUrl": "", "databaseId": PEOPLE[key][0]}


def _pr_payload(pr: PRState, logins: dict[str, str], *, short: bool = False) -> dict[str, Any]:
    """``pull_request`` as a pull_request event carries it; a review event's (``short``) lacks ``merged`` and the
    size, as GitHub's does."""
    payload = {
        "id": pr_id(pr.number), "number": pr.number, "title": f"Change {pr.number}", "body": "",
        "state": "open" if pr.state == "open" else "closed", "draft": pr.draft,
        "merged_at": iso(pr.merged_at), "created_at": iso(pr.created), "updated_at": iso(pr.updated),
        "closed_at": iso(pr.closed_at), "user": _person(pr.author, logins),
        "head": {"ref": f"feature/{pr.number}"}, "base": {"ref": "main"},
        "labels": [{"name": name} for name in pr.labels],
        "requested_reviewers": [_person(key, logins) for key in pr.requested], "requested_teams": [],
        "html_url": f"https://github.com/{FULL_NAME}/pull/{pr.number}",
    }  # fmt: skip
    if not short:
        payload |= {"merged": pr.state == "merged", "additions": 10 * pr.number, "deletions": pr.number,
                    "changed_files": 1}  # fmt: skip
    return payload


def _node(pr: PRState, logins: dict[str, str]) -> dict[str, Any]:
    items = []
    for typename, at, actor, subject in pr.timeline:
        item: dict[str, Any] = {"__typename": typename, "createdAt": iso(at), "actor": _actor(actor, logins)}
        if subject:
            item["requestedReviewer"] = _actor(subject, logins)
        items.append(item)
    return {
        "fullDatabaseId": str(pr_id(pr.number)), "number": pr.number, "title": f"Change {pr.number}", "body": "",
        "state": pr.state.upper(), "isDraft": pr.draft, "createdAt": iso(pr.created), "updatedAt": iso(pr.updated),
        "closedAt": iso(pr.closed_at), "mergedAt": iso(pr.merged_at),
        "headRefName": f"feature/{pr.number}", "baseRefName": "main",
        "additions": 10 * pr.number, "deletions": pr.number, "changedFiles": 1,
        "author": _actor(pr.author, logins), "labels": {"nodes": [{"name": name} for name in pr.labels]},
        "all_reviews": [
            {"fullDatabaseId": str(number), "state": state, "submittedAt": iso(at), "author": _actor(who, logins)}
            for number, who, state, at in pr.reviews
        ],
        "all_timeline": items,
        "reviewRequests": {"totalCount": len(pr.requested),
                           "nodes": [{"requestedReviewer": _actor(key, logins)} for key in pr.requested]},
    }  # fmt: skip


def _choices(pr: PRState, renamed: set[str]) -> list[tuple[str, str, str]]:
    """(kind, who, whom/what) GitHub allows next on ``pr``."""
    out: list[tuple[str, str, str]] = []
    others = [key for key in REVIEWERS if key != pr.author]
    if pr.state in {"open", "merged"}:
        for who in others:
            out += [("review", who, state) for state in ("APPROVED", "CHANGES_REQUESTED", "COMMENTED")]
        out.append(("review", pr.author, "COMMENTED"))
    if pr.state == "open":
        out.append(("draft", pr.author, "") if not pr.draft else ("ready", pr.author, ""))
        out += [("request", pr.author, who) for who in others if who not in pr.requested]
        out += [("unrequest", pr.author, who) for who in pr.requested]
        out += [("label", pr.author, label) for label in LABELS if label not in pr.labels]
        out.append(("close", pr.author, ""))
        if not pr.draft:
            out += [("merge", pr.author, "")] * 2
    if pr.state == "closed":
        out.append(("reopen", pr.author, ""))
    out += [("rename", key, "") for key in PEOPLE if key not in renamed]
    return out


@st.composite
def histories(draw: st.DrawFn, *, max_prs: int = 2, max_facts: int = 9) -> list[Fact]:
    """One or two PRs by ada (the second may open later), each with up to ``max_facts`` facts after opening,
    and renames that a later delivery tells."""
    facts: list[Fact] = []
    now = START
    prs: dict[int, PRState] = {}
    logins = {key: login for key, (_, login) in PEOPLE.items()}
    renamed: set[str] = set()
    count = draw(st.integers(1, max_prs), label="PRs")
    budgets = {n: draw(st.integers(1, max_facts), label=f"facts of #{n}") for n in range(1, count + 1)}
    unopened = list(range(1, count + 1))
    while unopened or any(budgets.values()):
        now += timedelta(seconds=draw(st.sampled_from(GAPS)))
        live = [n for n in prs if budgets[n]]
        if unopened and (not live or draw(st.booleans())):
            number = unopened.pop(0)
            fact = Fact("open", now, number, "ada", what="draft" if draw(st.booleans()) else "")
        else:
            number = draw(st.sampled_from(live))
            budgets[number] -= 1
            kind, who, other = draw(st.sampled_from(_choices(prs[number], renamed)))
            whom = other if kind in {"request", "unrequest"} else ""
            what = other if kind in {"review", "label"} else ""
            fact = Fact(kind, now, 0 if kind == "rename" else number, who, whom, what)
            if kind == "rename":
                renamed.add(who)
        _apply(prs, logins, fact)
        facts.append(fact)
    return _renames_told(facts, prs)


def _renames_told(facts: list[Fact], prs: dict[int, PRState]) -> list[Fact]:
    """The renames some later delivery tells: GitHub sends no webhook when a person renames, so webhooks alone
    learn a new login only from a later event that names the person (as sender, reviewer, requested reviewer or
    the PR's author). A rename nothing tells afterwards would make the roads differ by what they could know."""
    told = []
    for i, fact in enumerate(facts):
        later = facts[i + 1 :]
        if fact.kind != "rename" or any(
            f.kind != "rename" and fact.who in {f.who, f.whom, prs[f.number].author} for f in later
        ):
            told.append(fact)
    return told
