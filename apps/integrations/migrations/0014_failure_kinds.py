"""Why a tracking stopped and why an import waits or failed become kinds the code decides by, instead of sentences
it parsed back (``"rate limit" in sync_error``, ``startswith("GitHub refused the App's credentials")``).

Existing rows keep what they meant: each stored sentence is mapped to its kind, and the part of it that was
GitHub's own answer (after the colon) stays in ``sync_error``. The inactive reason's column shrinks in 0015, after
this one has mapped every long sentence (and in its own transaction: PostgreSQL alters no table with updates whose
deferred checks are still pending). A sentence no version of the code wrote is kept as the detail of an
``unexpected`` failure rather than lost.
"""

from django.db import migrations, models

# The sentences earlier versions stored in ``inactive_reason``, and their kind.
INACTIVE_REASONS = {
    "untracked": "untracked",
    "GitHub disconnected": "disconnected",
    "access removed": "access_removed",
    "moved to another organization": "moved",
    "repository deleted": "repository_deleted",
    "repository deleted, dropped from the figures": "repository_dropped",
}
# The whole sentences earlier versions stored in ``sync_error``, and their kind.
SYNC_ERRORS = {
    "GitHub's rate limit is used up; resuming after reset.": "rate_limited",
    "Paused to leave GitHub's rate limit for webhooks.": "rate_reserved",
    "GitHub keeps failing to answer; retrying.": "github_failing",
    "The GitHub App installation is not active (suspended or uninstalled).": "installation_inactive",
    "The GitHub App installation is suspended or was removed.": "installation_inactive",
    "The GitHub App is not configured on this server.": "not_configured",
    "The import stopped on an unexpected error; use Sync now to resume it.": "unexpected",
}
# The sentences that ended with GitHub's answer after a colon: the answer is kept as the detail.
SYNC_ERROR_PREFIXES = {
    "GitHub refused the App's credentials": "credentials_refused",
    "GitHub could not read this repository": "repository_unreadable",
    "GitHub answered with an error": "github_error",
}


def sync_error_kind(error: str) -> tuple[str, str]:
    """The kind of a stored ``sync_error`` sentence, and the detail to keep."""
    if error in SYNC_ERRORS:
        return SYNC_ERRORS[error], ""
    for prefix, kind in SYNC_ERROR_PREFIXES.items():
        if error.startswith(prefix):
            return kind, error.removeprefix(prefix).lstrip(": ")
    return "unexpected", error


def sentences_to_kinds(apps, schema_editor):
    tracked = apps.get_model("integrations", "TrackedRepository")
    for sentence, kind in INACTIVE_REASONS.items():
        tracked.objects.filter(inactive_reason=sentence).update(inactive_reason=kind)
    # A sentence no version wrote: the tracking stopped for a reason we no longer know; untracked is what an admin
    # can undo (Track), and it leaves the figures as an untracked repository does.
    tracked.objects.exclude(inactive_reason__in=["", *INACTIVE_REASONS.values()]).update(inactive_reason="untracked")
    for row in tracked.objects.exclude(sync_error="").only("pk", "sync_error"):
        kind, detail = sync_error_kind(row.sync_error)
        tracked.objects.filter(pk=row.pk).update(sync_error_kind=kind, sync_error=detail)


class Migration(migrations.Migration):
    dependencies = [("integrations", "0013_drop_delivery_payload_columns")]

    operations = [
        migrations.AddField(
            model_name="trackedrepository",
            name="sync_error_kind",
            field=models.CharField(
                blank=True,
                choices=[
                    ("rate_limited", "GitHub's rate limit is used up"),
                    ("rate_reserved", "Paused to leave GitHub's rate limit for webhooks"),
                    ("github_failing", "GitHub keeps failing to answer"),
                    ("installation_inactive", "Installation suspended or removed"),
                    ("credentials_refused", "GitHub refused the App's credentials"),
                    ("repository_unreadable", "GitHub could not read the repository"),
                    ("github_error", "GitHub answered with an error"),
                    ("not_configured", "GitHub App not configured"),
                    ("unexpected", "Unexpected error"),
                ],
                max_length=24,
            ),
        ),
        migrations.RunPython(sentences_to_kinds, migrations.RunPython.noop),
    ]
