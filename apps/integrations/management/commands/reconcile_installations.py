"""``manage.py reconcile_installations [--dry-run]``: compare GitHub's installations and repositories with ours."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.integrations.github import GitHubAppNotConfigured
from apps.integrations.services.reconcile import installations_reconcile


class Command(BaseCommand):
    help = "Make installations and their repositories equal to GitHub's. --dry-run reports without changing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Report what would change; change nothing.")

    def handle(self, *args: Any, dry_run: bool, **options: Any) -> None:
        try:
            report = installations_reconcile(dry_run=dry_run)
        except GitHubAppNotConfigured as exc:
            raise CommandError(str(exc)) from None
        if report.aborted:
            done = report.installations_seen + report.installations_deleted + len(report.failed)
            raise CommandError(
                f"Aborted after {done} installations (those stay reconciled; nothing else changed): {report.aborted}"
            )
        prefix = "Would change (dry run)" if dry_run else "Changed"
        self.stdout.write(
            f"{prefix}: {report.installations_seen} installations on GitHub, "
            f"{report.installations_deleted} marked deleted, {report.repositories_added} repositories added, "
            f"{report.repositories_removed} removed."
        )
        for installation_id, reason in sorted(report.failed.items()):
            self.stdout.write(f"Installation {installation_id} not reconciled (left as it was): {reason}")
