"""What the metrics core tells the layers above it, without importing them (docs/architecture.md, the layers).

``pull_request_state_unsure``: a ``closed`` and a ``reopened`` snapshot of one PR carry the same ``updated_at``
second, so neither arrival order nor the snapshots say which came last, and the stored state may be the earlier
one. Sent once the write commits, with ``team_id``, ``github_repo_id`` and ``updated_at`` (that second); the
integrations app answers with a catch-up import of the repository, whose snapshot is GitHub's state as of the
fetch and so settles the tie (``PullRequestSnapshot.fetched``).
"""

from __future__ import annotations

from django.dispatch import Signal

pull_request_state_unsure = Signal()
