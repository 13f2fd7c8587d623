"""Links to GitHub (or the emulator, or a GitHub Enterprise Server) for what pages show."""

from __future__ import annotations

from django import template
from django.conf import settings

from apps.metrics.models import PullRequest

register = template.Library()


@register.filter
def github_pr_url(pr: PullRequest) -> str:
    """The PR's page, ``{GITHUB_WEB_URL}/{owner}/{repo}/pull/{number}`` (its ``html_url``), built from what is
    stored: ``github_repo`` follows renames, and GitHub redirects an old name anyway."""
    return f"{settings.GITHUB_WEB_URL.rstrip('/')}/{pr.github_repo}/pull/{pr.number}"
