"""Links to GitHub (or the emulator, or a GitHub Enterprise Server) for what pages show."""

from __future__ import annotations

from django import template
from django.conf import settings

from apps.metrics.models import Deployment, PullRequest

register = template.Library()


def pull_request_url(*, repository: str, number: int) -> str:
    """A PR's page, ``{GITHUB_WEB_URL}/{owner}/{repo}/pull/{number}`` (its ``html_url``), built from what is
    stored: the repository's name follows renames, and GitHub redirects an old name anyway. The one place the
    link is built, for the pages' links and the CSV exports alike."""
    return f"{settings.GITHUB_WEB_URL.rstrip('/')}/{repository}/pull/{number}"


@register.filter
def github_pr_url(pr: PullRequest) -> str:
    return pull_request_url(repository=pr.github_repo, number=pr.number)


@register.filter
def github_compare_url(deployment: Deployment) -> str:
    """GitHub's comparison of the previous production deployment's commit with this one's (the commits it shipped),
    ``{GITHUB_WEB_URL}/{owner}/{repo}/compare/{previous}...{sha}``; empty when there is no previous one."""
    if not deployment.previous_sha:
        return ""
    base = settings.GITHUB_WEB_URL.rstrip("/")
    return f"{base}/{deployment.github_repo}/compare/{deployment.previous_sha}...{deployment.sha}"


@register.filter
def github_commit_url(deployment: Deployment) -> str:
    """The deployed commit's page, ``{GITHUB_WEB_URL}/{owner}/{repo}/commit/{sha}``."""
    return f"{settings.GITHUB_WEB_URL.rstrip('/')}/{deployment.github_repo}/commit/{deployment.sha}"
