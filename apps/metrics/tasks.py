"""Celery tasks of the metrics core. Each takes ids, calls one service and owns its retry policy."""

from __future__ import annotations

from celery import shared_task

from apps.metrics.models import MetricsRecompute
from apps.metrics.queueing import recompute_enqueue
from apps.metrics.services.members import team_recompute_turn
from config.queues import work_in_turns


@shared_task(acks_late=True)
def run_team_recompute(team_id: int) -> None:
    """Queue ``interactive``: one turn (a batch of PRs) of the team's recomputes after an admin changed a member,
    then the next turn at the back of the queue, behind other teams' work. Idempotent, so a redelivery is safe.
    Eager inside the request (tests), every turn runs here."""
    while team_recompute_turn(team_id=team_id):
        if work_in_turns():
            recompute_enqueue(team_id=team_id)
            return


@shared_task(acks_late=True)
def run_member_recompute(recompute_pk: int) -> None:
    """A message queued by an earlier version (one task per recompute): runs its team's recomputes."""
    team_id = MetricsRecompute.objects.filter(pk=recompute_pk).values_list("team_id", flat=True).first()
    if team_id is not None:
        run_team_recompute(team_id)
