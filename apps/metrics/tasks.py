"""Celery tasks of the metrics core. Each takes ids, calls one service and owns its retry policy."""

from __future__ import annotations

from celery import shared_task

from apps.metrics.services.members import member_recompute_run


@shared_task(acks_late=True)
def run_member_recompute(recompute_pk: int) -> None:
    """Queue ``default``: recompute the PRs of a member an admin changed. Idempotent, so a redelivery is safe."""
    member_recompute_run(recompute_id=recompute_pk)
