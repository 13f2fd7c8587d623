"""GraphQL nodes become the metrics core's snapshots with the same identities webhooks use."""

from __future__ import annotations

from datetime import UTC, datetime

from apps.integrations.mapping.graphql import import_item_from_node, person_from_actor
from apps.integrations.tests.graphql_fake import actor, pr_node, requested, review
from apps.metrics.types import TimelineKind
from github_app import Actor, parse_pull_request_page

AT = datetime(2026, 11, 1, tzinfo=UTC)


def parsed(**fields):
    node = pr_node(7, updated=AT, reviews=0, **fields)
    node["reviews"] = {
        "totalCount": len(node["all_reviews"]),
        "pageInfo": {"hasNextPage": False, "endCursor": None},
        "nodes": node.pop("all_reviews"),
    }
    node.setdefault("timelineItems", {"pageInfo": {"hasNextPage": False, "endCursor": None}, "nodes": []})
    node["timelineItems"]["nodes"] += node.pop("all_timeline")
    data = {
        "rateLimit": {"cost": 1, "remaining": 10, "resetAt": "2026-11-01T01:00:00Z"},
        "repository": {
            "nameWithOwner": "acme/api",
            "pullRequests": {"totalCount": 1, "pageInfo": {"hasNextPage": False, "endCursor": "x"}, "nodes": [node]},
        },
    }
    return parse_pull_request_page(data).pull_requests[0]


def test_a_bot_gets_its_webhook_login_back_and_keeps_its_database_id():
    person = person_from_actor(Actor(typename="Bot", login="dependabot", avatar_url="", database_id=49699333))
    assert person.login == "dependabot[bot]" and person.is_bot and person.github_id == 49699333


def test_an_actor_without_database_id_is_nobody():
    assert person_from_actor(Actor(typename="Mannequin", login="ghost", avatar_url="", database_id=None)) is None


def test_a_merged_node_is_closed_and_merged_with_its_timeline_and_reviews():
    node = parsed(
        all_reviews=[review(5, reviewer=actor("renovate", 3, bot=True), state="CHANGES_REQUESTED")],
        timelineItems={
            "nodes": [
                {"__typename": "ReadyForReviewEvent", "createdAt": "2026-10-30T10:00:00Z"},
                {"__typename": "ConvertToDraftEvent", "createdAt": "2026-10-30T09:00:00Z"},
            ]
        },
    )

    snapshot, reviews, timeline = import_item_from_node(node, github_repo_id=9, full_name="acme/api")

    assert snapshot.github_pr_id == 2**32 + 7 and snapshot.state == "closed" and snapshot.merged
    assert snapshot.github_repo_id == 9 and snapshot.author.login == "alice"
    assert [(r.github_review_id, r.state, r.reviewer.login) for r in reviews] == [
        (5, "changes_requested", "renovate[bot]")
    ]
    assert [e.kind for e in timeline] == [TimelineKind.READY, TimelineKind.DRAFT]
    assert timeline[0].occurred_at == datetime(2026, 10, 30, 10, tzinfo=UTC)


def test_an_open_draft_stays_open():
    snapshot, _, _ = import_item_from_node(
        parsed(state="OPEN", isDraft=True, mergedAt=None, closedAt=None), github_repo_id=9, full_name="acme/api"
    )
    assert snapshot.state == "open" and not snapshot.merged and snapshot.is_draft


def test_review_requests_and_their_removals_become_the_entries_webhooks_give():
    """``review_requested`` / ``review_request_removed`` name the reviewer as the subject and who asked as the
    actor; a team's request and a deleted account's name nobody, as on the webhook road."""
    team_request = {
        "__typename": "ReviewRequestedEvent",
        "createdAt": "2026-10-30T08:00:00Z",
        "actor": actor("alice", 1),
        "requestedReviewer": {"__typename": "Team", "slug": "platform"},
    }
    gone = {**team_request, "requestedReviewer": None}
    node = parsed(
        state="OPEN",
        mergedAt=None,
        closedAt=None,
        all_timeline=[
            team_request,
            gone,
            requested("bob", 2, datetime(2026, 10, 30, 9, tzinfo=UTC)),
            requested("bob", 2, datetime(2026, 10, 30, 10, tzinfo=UTC), removed=True),
            {"__typename": "ReadyForReviewEvent", "createdAt": "2026-10-30T11:00:00Z", "actor": actor("alice", 1)},
        ],
    )

    _, _, timeline = import_item_from_node(node, github_repo_id=9, full_name="acme/api")

    assert [(e.kind, e.occurred_at.hour, e.subject and e.subject.login, e.actor.login) for e in timeline][1:] == [
        (TimelineKind.REVIEW_REQUESTED, 9, "bob", "alice"),
        (TimelineKind.REVIEW_REQUEST_REMOVED, 10, "bob", "alice"),
        (TimelineKind.READY, 11, None, "alice"),
    ]
    assert node.timeline_items[0].requested_team == "platform"


def test_a_first_ready_for_review_says_the_pr_was_opened_as_a_draft():
    """GitHub's timeline has no item for opening as a draft; the first transition being a ``ReadyForReviewEvent``
    tells it, and the import gives the ``draft`` entry at creation the ``opened`` webhook of a draft gives."""
    ready = {"__typename": "ReadyForReviewEvent", "createdAt": "2026-10-30T11:00:00Z", "actor": actor("alice", 1)}
    opened_draft = parsed(all_timeline=[ready])
    opened_ready = parsed(all_timeline=[{**ready, "__typename": "ConvertToDraftEvent"}, ready])

    _, _, as_draft = import_item_from_node(opened_draft, github_repo_id=9, full_name="acme/api")
    _, _, as_ready = import_item_from_node(opened_ready, github_repo_id=9, full_name="acme/api")

    assert [(e.kind, e.occurred_at, e.actor.login) for e in as_draft] == [
        (TimelineKind.DRAFT, opened_draft.created_at, "alice"),
        (TimelineKind.READY, datetime(2026, 10, 30, 11, tzinfo=UTC), "alice"),
    ]
    assert TimelineKind.DRAFT not in [e.kind for e in as_ready if e.occurred_at == opened_ready.created_at]
