"""``manage.py import_repository <owner/name or github_repo_id> [--team slug]``: catch a tracked repository up.

Imports the pull requests updated since the last successful import (or the rest of an unfinished history import),
e.g. after an outage. Queued like Import now; with no broker configured it runs here, in-process.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.integrations.selectors import tracked_repositories_matching
from apps.integrations.services.tracking import tracked_repository_import_schedule


class Command(BaseCommand):
    help = "Catch a tracked repository up: PRs updated since its last successful import."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("repository", help="owner/name or the numeric GitHub repository id")
        parser.add_argument("--team", help="slug of the team, when several teams track the repository")

    def handle(self, *args: Any, repository: str, team: str | None, **options: Any) -> None:
        rows = list(tracked_repositories_matching(identifier=repository, team_slug=team))
        if not rows:
            raise CommandError(f"No team tracks {repository}{f' in team {team}' if team else ''}.")
        if len(rows) > 1:
            slugs = ", ".join(sorted(row.team.slug for row in rows))
            raise CommandError(f"Several teams track {repository} ({slugs}); choose one with --team.")
        row = rows[0]
        if not tracked_repository_import_schedule(tracked_repository=row):
            raise CommandError(f"{row.full_name} is being imported right now; try again when it is done.")
        row.refresh_from_db()
        self.stdout.write(f"{row.full_name} ({row.team.slug}): import {row.get_import_status_display().lower()}.")
