"""Prepare the embedded-default demo: a demo admin with a team. Safe to run again."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from apps.teams.selectors import user_teams
from apps.teams.services import team_create
from apps.users.models import User

DEMO_EMAIL = "demo@tformance.local"
DEMO_PASSWORD = "tformance-demo"


class Command(BaseCommand):
    help = "Create the demo admin and team (idempotent) and print how to log in."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")

    def handle(self, *args: Any, base_url: str, **options: Any) -> None:
        user = User.objects.filter(email=DEMO_EMAIL).first()
        if user is None:
            user = User.objects.create_superuser(email=DEMO_EMAIL, password=DEMO_PASSWORD)
        team = user_teams(user=user).first() or team_create(name="Demo Team", owner=user)
        self.stdout.write(
            self.style.SUCCESS(
                f"\n  tformance demo: {base_url}/a/{team.slug}/\n  log in as {DEMO_EMAIL} / {DEMO_PASSWORD}\n"
            )
        )
