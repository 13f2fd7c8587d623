"""Where the metrics core queues its own work: its services never import ``apps.metrics.tasks``.

The integrations app has its one queueing module (``apps.integrations.services.queueing``), but the layers forbid
``apps.metrics`` to import ``apps.integrations``; the mechanics both use (fair lanes, the background thread without
a broker) are ``config.queues``, so this module only names the metrics tasks, as that one names its own.
"""

from __future__ import annotations

from config.queues import task_enqueue_long


def recompute_enqueue(*, team_id: int) -> bool:
    """Queue the team's next recompute turn (``interactive`` queue; without a broker, the background thread)."""
    from apps.metrics.tasks import run_team_recompute  # the task module imports the services, which import this

    return task_enqueue_long(
        run_team_recompute, team_id, what=f"recompute of team {team_id}", lane=team_id, interactive=True
    )
