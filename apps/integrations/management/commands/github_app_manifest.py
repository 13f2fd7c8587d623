"""Print the GitHub App manifest for a deployment, to register the App by hand or with GitHub's manifest flow."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from apps.integrations.services.registration import manifest_for_base_url


class Command(BaseCommand):
    help = "Print app-manifest.json with every URL pointing at --base-url (default: BASE_URL)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--base-url", default=settings.BASE_URL, help="e.g. https://tformance.example.com")

    def handle(self, *args: Any, base_url: str, **options: Any) -> None:
        self.stdout.write(json.dumps(manifest_for_base_url(base_url=base_url), indent=2))
