"""Repository-level writes on metrics rows: names are display data that follow GitHub's renames."""

from __future__ import annotations

from collections.abc import Iterable

from apps.metrics.models import PullRequest


def pull_requests_rename_repository(
    *, github_repo_id: int, full_name: str, team_ids: Iterable[int] | None = None
) -> int:
    """Show a renamed or transferred repository's new ``full_name`` on its pull requests, in every team that
    has them (identity is ``github_repo_id``; the name is only shown). Returns how many rows changed.

    ``team_ids``, the teams that track or tracked the repository (the only ones with its PRs), makes the read an
    exact lookup of ``(team, github_repo_id)`` per team on ``pr_team_repo_name_idx``; without them no index
    starts with the repository id and the whole index is read, across every team."""
    pull_requests = PullRequest.objects.filter(github_repo_id=github_repo_id)
    if team_ids is not None:
        pull_requests = pull_requests.filter(team_id__in=sorted(set(team_ids)))
    return pull_requests.exclude(github_repo=full_name).update(github_repo=full_name)
