"""People through the real webhook: a deleted account (GitHub then names ``ghost``, id 10137) and a rename followed by
an older delivery redelivered. People are kept by their GitHub id; the newest login by GitHub's own time wins."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from apps.integrations.tests.factories import InstallationFactory, TrackedRepositoryFactory
from apps.integrations.tests.payloads import pull_request_event, user
from apps.metrics.models import PRReview, PullRequest, TeamMember

pytestmark = pytest.mark.django_db

REPO_ID, PR_ID = 5150, 88
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
ADA, BOB, GHOST = ("ada", 601), ("bob", 602), ("ghost", 10137)


def stamp(hours: float) -> str:
    return (T0 + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def tracked(team):
    installation = InstallationFactory(installation_id=7, team=team, account_login="acme")
    return TrackedRepositoryFactory(team=team, installation=installation, github_repo_id=REPO_ID, full_name="acme/api")


def pr_payload(author: tuple[str, int], hours: float, action: str = "opened", **pr_fields) -> dict:
    payload = pull_request_event(7, repo_id=REPO_ID, full_name="acme/api", pr_id=PR_ID, number=3)
    payload["action"] = action
    payload["pull_request"] |= {"user": user(*author), "created_at": stamp(0), "updated_at": stamp(hours), **pr_fields}
    payload["sender"] = user(*author)
    return payload


def review_payload(review_id: int, reviewer: tuple[str, int], state: str, hours: float, author=ADA) -> dict:
    payload = pr_payload(author, hours)
    payload["action"] = "submitted"
    payload["review"] = {"id": review_id, "user": user(*reviewer), "state": state, "submitted_at": stamp(hours)}
    payload["sender"] = user(*reviewer)
    return payload


def test_a_deleted_authors_own_comment_never_becomes_the_first_review(signed_webhook, tracked, team):
    """Ada opens the PR, comments on it at 1 h, Bob approves at 5 h; Ada deletes her account; the merge and a
    redelivery of her comment then name ``ghost``. Pickup stays 5 h (it became 1 h: "first review by" the author)."""
    signed_webhook("pull_request", pr_payload(ADA, 0), delivery_id="opened")
    signed_webhook("pull_request_review", review_payload(1, ADA, "commented", 1), delivery_id="comment")
    signed_webhook("pull_request_review", review_payload(2, BOB, "approved", 5), delivery_id="approval")
    merged = pr_payload(GHOST, 6, "closed", state="closed", merged=True, merged_at=stamp(6), closed_at=stamp(6))
    signed_webhook("pull_request", merged, delivery_id="merged")
    signed_webhook("pull_request_review", review_payload(1, GHOST, "commented", 1, GHOST), delivery_id="again")

    pr = PullRequest.objects.get(team=team)
    assert (pr.state, pr.first_review_at, pr.review_time_seconds) == ("merged", T0 + timedelta(hours=5), 5 * 3600)
    assert pr.author.github_username == "ada"
    assert PRReview.objects.get(github_review_id=1).reviewer.github_username == "ada"
    assert not TeamMember.objects.filter(github_id=GHOST[1]).exists()


def test_an_older_delivery_redelivered_after_a_rename_does_not_bring_the_old_login_back(
    signed_webhook, tracked, team, admin_client
):
    older = pr_payload(("ada-old", 601), 1)
    signed_webhook("pull_request", older, delivery_id="before-rename")
    signed_webhook("pull_request", pr_payload(("ada-new", 601), 4, "edited"), delivery_id="after-rename")

    signed_webhook("pull_request", copy.deepcopy(older), delivery_id="before-rename-redelivered")

    assert list(TeamMember.objects.filter(team=team).values_list("github_username", flat=True)) == ["ada-new"]
    for page in ("dashboard:people", "dashboard:index"):
        html = admin_client.get(reverse(page, kwargs={"team_slug": team.slug})).content.decode()
        assert "ada-new" in html and "ada-old" not in html
