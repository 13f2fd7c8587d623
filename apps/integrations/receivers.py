"""The integrations app's answers to what the metrics core signals (``apps.metrics.signals``), and to Django's own
``post_migrate``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.dispatch import receiver

from apps.integrations.services.payload_partitions import payload_partitions_ensure
from apps.integrations.services.tracking import pull_request_state_settle
from apps.metrics.signals import pull_request_state_unsure


@receiver(pull_request_state_unsure, dispatch_uid="integrations.pull_request_state_settle")
def settle_pull_request_state(
    sender: Any, *, team_id: int, github_repo_id: int, updated_at: datetime, **_: Any
) -> None:
    pull_request_state_settle(team_id=team_id, github_repo_id=github_repo_id, updated_at=updated_at)


def payload_partitions_after_migrate(sender: Any, *, using: str, **_: Any) -> None:
    """After every ``migrate`` (and a test database's creation and flush), the payload table's day partitions of
    today and the week ahead exist: a fresh install stores its first delivery in its day's partition, not in
    DEFAULT, before beat has ever run. Connected in ``IntegrationsConfig.ready``, for this app's migrations."""
    payload_partitions_ensure(using=using)
