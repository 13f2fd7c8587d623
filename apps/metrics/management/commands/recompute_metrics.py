"""``manage.py recompute_metrics [--team <slug>]``: recompute every PR's metrics after a definition changes."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.metrics.services import team_metrics_recompute
from apps.teams.models import Team


class Command(BaseCommand):
    help = "Recompute derived pull request metrics from stored reviews and timeline events."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--team", help="Slug of the one team to recompute (default: every team).")

    def handle(self, *args: object, team: str | None = None, **options: object) -> None:
        selected = None
        if team:
            selected = Team.objects.filter(slug=team).first()
            if selected is None:
                raise CommandError(f"No team with slug {team!r}.")
        count = team_metrics_recompute(team=selected)
        self.stdout.write(self.style.SUCCESS(f"Recomputed {count} pull requests."))
