"""The integrations app's answers to what the metrics core signals (``apps.metrics.signals``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.dispatch import receiver

from apps.integrations.services.sync import pull_request_state_settle
from apps.metrics.signals import pull_request_state_unsure


@receiver(pull_request_state_unsure, dispatch_uid="integrations.pull_request_state_settle")
def settle_pull_request_state(
    sender: Any, *, team_id: int, github_repo_id: int, updated_at: datetime, **_: Any
) -> None:
    pull_request_state_settle(team_id=team_id, github_repo_id=github_repo_id, updated_at=updated_at)
