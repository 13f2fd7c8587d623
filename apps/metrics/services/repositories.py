"""Repository-level writes on metrics rows: names are display data that follow GitHub's renames."""

from __future__ import annotations

from apps.metrics.models import PullRequest
from apps.metrics.services.pull_requests import events_write_recorded


def pull_requests_rename_repository(*, github_repo_id: int, full_name: str) -> int:
    """Show a renamed or transferred repository's new ``full_name`` on its pull requests, in every team that
    has them (identity is ``github_repo_id``; the name is only shown). Returns how many rows changed.

    Inside a drain batch the PR events of earlier deliveries are written first, so their PRs are renamed too."""
    events_write_recorded()
    return (
        PullRequest.objects.filter(github_repo_id=github_repo_id)
        .exclude(github_repo=full_name)
        .update(github_repo=full_name)
    )
