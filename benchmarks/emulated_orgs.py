"""Many organizations in the emulator at once, for the benchmarks that measure reconciliation at scale.

``EmulatorState.add_repository`` looks the owner and the repository up by name and lists the bots for each new
repository, which is right for a test's handful and quadratic for 50,000; this builds the same rows directly.
"""

from __future__ import annotations

from django.utils import timezone

from github_app.emulator import EmulatorServer
from github_app.emulator.models import Repository


def emulated_installations(github: EmulatorServer, installations: int, repositories_each: int) -> list[int]:
    """``installations`` organizations with ``repositories_each`` empty repositories, the App installed on each with
    those repositories selected (so that listing them costs in proportion to their count). Their installation ids."""
    state, ids = github.state, []
    for i in range(installations):
        account = state.add_account(f"org{i:05d}", "Organization", admins=["octo-admin"])
        repo_ids = []
        for j in range(repositories_each):
            repo = Repository(
                id=next(state._repo_ids), owner_login=account.login, name=f"repo{j}", private=True,
                created_at=timezone.now(), history_count=0, history_seed=1, history_anchor=timezone.now(),
                history_reviews=None, history_humans=["octo-admin"], history_bots=[], next_number=1,
            )  # fmt: skip
            state.repositories[repo.id] = repo
            repo_ids.append(repo.id)
        ids.append(state.add_installation(github.app, account, "selected", repo_ids, "octo-admin").id)
    return ids
