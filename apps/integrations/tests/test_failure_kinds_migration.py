"""Migrations 0014-0015 turn the sentences earlier versions stored (why a tracking stopped, why an import waits or
failed) into kinds: an existing install's rows keep what they meant, and GitHub's own answer stays as the detail the
page shows after the kind's sentence."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from apps.teams.models import Team

BEFORE = [("integrations", "0013_drop_delivery_payload_columns")]
AFTER = [("integrations", "0015_failure_kinds_columns")]

# Each stored sentence, (inactive_reason, sync_error) before (the fields as these migrations knew them), becomes
# (inactive_reason, kind, detail) after.
ROWS = [
    (("", ""), ("", "", "")),
    (("untracked", ""), ("untracked", "", "")),
    (("GitHub disconnected", ""), ("disconnected", "", "")),
    (("access removed", ""), ("access_removed", "", "")),
    (("moved to another organization", ""), ("moved", "", "")),
    (("repository deleted", ""), ("repository_deleted", "", "")),
    (("repository deleted, dropped from the figures", ""), ("repository_dropped", "", "")),
    (("", "GitHub's rate limit is used up; resuming after reset."), ("", "rate_limited", "")),
    (("", "Paused to leave GitHub's rate limit for webhooks."), ("", "rate_reserved", "")),
    (("", "GitHub keeps failing to answer; retrying."), ("", "github_failing", "")),
    (("", "The GitHub App installation is not active (suspended or uninstalled)."), ("", "installation_inactive", "")),
    (("", "The GitHub App installation is suspended or was removed."), ("", "installation_inactive", "")),
    (
        ("", "GitHub refused the App's credentials: GitHub answered 401: A JSON web token could not be decoded"),
        ("", "credentials_refused", "GitHub answered 401: A JSON web token could not be decoded"),
    ),
    (("", "GitHub could not read this repository: not found"), ("", "repository_unreadable", "not found")),
    (("", "GitHub answered with an error: GitHub answered 422"), ("", "github_error", "GitHub answered 422")),
    (("", "The GitHub App is not configured on this server."), ("", "not_configured", "")),
    (("", "The import stopped on an unexpected error; use Sync now to resume it."), ("", "unexpected", "")),
    (
        ("a reason no version wrote", "a sentence no version wrote"),
        ("untracked", "unexpected", "a sentence no version wrote"),
    ),
]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_0014_maps_every_stored_sentence_to_its_kind_and_keeps_githubs_words():
    leaf = MigrationExecutor(connection).loader.graph.leaf_nodes("integrations")
    try:
        apps = _migrate(BEFORE)
        team = Team.objects.create(name="Acme", slug="acme")  # the teams app stays at its newest migration
        tracked = apps.get_model("integrations", "TrackedRepository")
        for n, ((reason, error), _) in enumerate(ROWS):
            tracked.objects.create(
                team_id=team.pk, github_repo_id=n, full_name=f"acme/r{n}", is_active=not reason,
                inactive_reason=reason, sync_error=error,
            )  # fmt: skip

        apps = _migrate(AFTER)
        tracked = apps.get_model("integrations", "TrackedRepository")
        after = {t.github_repo_id: (t.inactive_reason, t.sync_error_kind, t.sync_error) for t in tracked.objects.all()}
        assert after == {n: kinds for n, (_, kinds) in enumerate(ROWS)}
    finally:
        _migrate(leaf)
