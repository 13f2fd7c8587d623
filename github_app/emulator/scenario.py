"""Seed data: the ``demo`` world (org ``acme`` with a team, a bot and three repositories of history).

``octo-admin`` is acme's owner (organization role ``admin``) and installs the App; the developers are plain members
(role ``member``): they read acme's repositories and see its installation in ``/user/installations``, but are not
owners, so tformance refuses to let them connect it.

Histories are data only — served through GraphQL for tformance's import — never webhooks.
"""

from __future__ import annotations

from .state import State

DEMO_DEVELOPERS = ["alice-chen", "bob-martin", "carol-diaz", "dan-okafor", "erin-kim", "farid-haddad"]
DEMO_REPOSITORIES = {"api": 110, "web": 85, "infra": 60}
DEMO_OWNER = "octo-admin"
SCENARIOS = ("demo", "empty")


def load_scenario(state: State, name: str, seed: int = 42) -> dict[str, object]:
    """Load a named scenario into ``state`` (idempotent: existing accounts and repositories are kept)."""
    if name not in SCENARIOS:
        raise ValueError(f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}")
    state.seed = seed
    if name == "empty":
        return {"scenario": name}
    with state.lock:
        names = {
            "alice-chen": "Alice Chen",
            "bob-martin": "Bob Martin",
            "carol-diaz": "Carol Díaz",
            "dan-okafor": "Dan Okafor",
            "erin-kim": "Erin Kim",
            "farid-haddad": "Farid Haddad",
        }
        for login in DEMO_DEVELOPERS:
            state.add_account(login, "User", names[login])
        state.add_account("octo-admin", "User", "Octo Admin")
        state.add_account("dependabot[bot]", "Bot", "dependabot")
        state.add_account("acme", "Organization", "Acme Inc.", members=DEMO_DEVELOPERS, admins=[DEMO_OWNER])
        for repo_name, count in DEMO_REPOSITORIES.items():
            state.add_repository("acme", repo_name, pull_requests=count, seed=seed)
        # Someone outside acme, with an org of their own: their installations must stay invisible to acme users.
        state.add_account("mona", "User", "Mona Lisa")
        state.add_account("globex", "Organization", "Globex", admins=["mona"])
        state.add_repository("mona", "dotfiles", pull_requests=5, private=False, seed=seed)
        state.add_repository("globex", "portal", pull_requests=20, seed=seed)
    return {
        "scenario": name,
        "seed": seed,
        "organization": "acme",
        "installer": DEMO_OWNER,
        "owners": [DEMO_OWNER],
        "members": DEMO_DEVELOPERS,
    }
