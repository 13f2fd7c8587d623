"""Django-side steps of the drills, run as ``python -m tests.drills.ops <command> '<json>'`` with the drill's env.

The drill processes use their own database (``<suite database>_drills``), which pytest's Django connection does not
reach; so an admin's actions (link an installation, track a repository) and the periodic jobs beat would
start (sweep, redelivery, import resume) run here, through the product's own services, in a process
configured exactly like the workers. The last line printed is the JSON result.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import django


def link(*, installation_id: int, repositories: list[str], team: str = "Drill team") -> dict[str, Any]:
    """An admin links the installation to a new team and tracks ``repositories`` (which queues their import)."""
    from django.db import transaction

    from apps.integrations.models import InstallationRepository
    from apps.integrations.services.linking import installation_link_to_team
    from apps.integrations.services.tracking import repository_track
    from apps.teams.services import team_create
    from apps.users.models import User

    email = f"admin-{team.lower().replace(' ', '-')}@example.com"
    user = User.objects.filter(email=email).first() or User.objects.create_user(email=email, password="x-drill-pass")
    owner_team = team_create(name=team, owner=user)
    with transaction.atomic():
        installation_link_to_team(installation_id=installation_id, team=owner_team, user=user)
    tracked = {}
    for full_name in repositories:
        repo = InstallationRepository.objects.get(installation__installation_id=installation_id, full_name=full_name)
        tracked[full_name] = repository_track(team=owner_team, github_repo_id=repo.github_repo_id).pk
    return {"team_id": owner_team.pk, "tracked": tracked}


def reference_import(*, tracked_repository_id: int, team: str = "Reference team") -> dict[str, Any]:
    """A second team imports the same repository through the same installation: the uninterrupted reference."""
    from apps.integrations.models import TrackedRepository
    from apps.integrations.services.tracking import tracked_repository_import_schedule
    from apps.teams.services import team_create
    from apps.users.models import User

    source = TrackedRepository.objects.get(pk=tracked_repository_id)
    user = User.objects.create_user(email="reference-admin@example.com", password="x-drill-pass")
    other = team_create(name=team, owner=user)
    row = TrackedRepository.objects.create(
        team=other, installation=source.installation, github_repo_id=source.github_repo_id, full_name=source.full_name
    )
    tracked_repository_import_schedule(tracked_repository=row)
    return {"team_id": other.pk, "tracked_repository_id": row.pk}


def sweep() -> int:
    """Beat's ``sweep_pending_deliveries`` without its 60 s grace, so the drill need not wait a minute."""
    from apps.integrations.services.deliveries import deliveries_sweep_pending

    return deliveries_sweep_pending(older_than=timedelta(0)).queued


def recover() -> int:
    """Beat's ``recover_failed_deliveries``: read GitHub's delivery log, ask for what we never stored."""
    from apps.integrations.services.recovery import deliveries_recover_failed

    return deliveries_recover_failed()


def resume() -> int:
    """Beat's ``resume_imports``: imports past their rate-limit pause, or whose worker went silent."""
    from apps.integrations.services.tracking import tracked_repositories_resume

    return tracked_repositories_resume()


COMMANDS: dict[str, Callable[..., Any]] = {
    "link": link,
    "reference_import": reference_import,
    "sweep": sweep,
    "recover": recover,
    "resume": resume,
}


def main(argv: list[str]) -> None:
    django.setup()
    command, arguments = argv[1], json.loads(argv[2]) if len(argv) > 2 else {}
    print(json.dumps(COMMANDS[command](**arguments)))


if __name__ == "__main__":
    main(sys.argv)
