"""The world every fixture talks about: one emulator state with GitHub's documentation-example identities."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from github_app.emulator import shapes
from github_app.emulator.models import Account, App, Installation, PullRequest, Repository, Review
from github_app.emulator.state import State

API = "https://api.github.com"
WEB = "https://github.com"
AVATARS = "https://avatars.githubusercontent.com"

Document = dict[str, Any] | list[Any]


def at(text: str) -> datetime:
    """A GitHub timestamp (``2019-05-15T15:20:33Z``) as an aware datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


ALL_PERMISSIONS = {
    "administration": "write",
    "checks": "write",
    "contents": "write",
    "issues": "write",
    "metadata": "read",
    "pull_requests": "write",
    "statuses": "write",
}
ALL_EVENTS = ["check_run", "issues", "pull_request", "pull_request_review", "push", "repository"]


class World:
    """One emulator state holding every account, repository, installation and PR the fixtures talk about."""

    def __init__(self) -> None:
        self.state = State(base_url=API)
        for login, ident, kind in [
            ("Codertocat", 21031067, "User"),
            ("octocat", 1, "User"),
            ("hacktocat", 39652351, "User"),
            ("Octocoders", 38302899, "Organization"),
        ]:
            self.state.accounts[login.lower()] = Account(id=ident, login=login, type=kind, name=login)  # type: ignore[arg-type]
        self.state.accounts["octocoders"].members.update({"Codertocat", "hacktocat"})
        self.app = self.state.add_app(
            App(
                id=29310,
                slug="tformance-fixtures",
                name="tformance fixtures",
                client_id="Iv1.f1x7ure5c11e47",
                client_secret="fixture-client-secret",
                webhook_secret="fixture-webhook-secret",
                private_key_pem="",
                public_key_pem="",
                owner_login="Codertocat",
                created_at=at("2019-05-15T15:19:20Z"),
                description="The App the test fixtures are recorded for.",
                external_url="https://tformance.example",
                permissions=dict(ALL_PERMISSIONS),
                events=list(ALL_EVENTS),
            )
        )
        created = at("2019-05-15T15:19:25Z")
        self.hello = self._repo(186853002, "Codertocat", "Hello-World", created, private=False, branch="master")
        self.space = self._repo(186853007, "Codertocat", "Space", created, private=False, branch="master")
        self.org_repo = self._repo(186853261, "Octocoders", "Hello-World", created, private=False, branch="master")
        self.octo_repo = self._repo(1296269, "octocat", "Hello-World", at("2011-01-26T19:01:12Z"), private=False)
        self.installation = self._installation(
            957387, "Codertocat", "selected", [self.hello.id], "2019-05-15T15:19:51Z"
        )
        self.octo_installation = self._installation(
            2, "octocat", "selected", [self.octo_repo.id], "2018-04-30T17:38:18Z"
        )
        self.suspended = self._installation(16598467, "Codertocat", "all", [], "2021-04-29T02:32:21Z")
        self.pr_installation = Installation(
            id=1,
            app_id=self.app.id,
            account_login="Codertocat",
            repository_selection="all",
            repository_ids=[],
            created_at=created,
            updated_at=created,
            sender_login="Codertocat",
        )

    def _repo(
        self, ident: int, owner: str, name: str, created: datetime, *, private: bool, branch: str = "main"
    ) -> Repository:
        repo = Repository(
            id=ident,
            owner_login=owner,
            name=name,
            private=private,
            default_branch=branch,
            created_at=created,
            description="A repository of the test fixtures",
        )
        self.state.repositories[ident] = repo
        return repo

    def _installation(self, ident: int, owner: str, selection: str, repo_ids: list[int], created: str) -> Installation:
        inst = Installation(
            id=ident,
            app_id=self.app.id,
            account_login=owner,
            repository_selection=selection,  # type: ignore[arg-type]
            repository_ids=repo_ids,
            created_at=at(created),
            updated_at=at(created),
            sender_login=owner,
            permissions=dict(ALL_PERMISSIONS),
            events=list(ALL_EVENTS),
        )
        self.state.installations[ident] = inst
        return inst

    # the pull request of every pull_request* example: Codertocat/Hello-World #2 ----------------------------
    def pull_request(self, **changes: Any) -> PullRequest:
        pr = PullRequest(
            id=279147437,
            number=2,
            title="Update the README with new information.",
            body="This is a pretty simple change that we need to pull into master.",
            user="Codertocat",
            head_ref="changes",
            base_ref="master",
            created_at=at("2019-05-15T15:20:33Z"),
            updated_at=at("2019-05-15T15:20:33Z"),
            additions=1,
            deletions=1,
            changed_files=1,
            labels=["bug"],
            requested_reviewers=["octocat"],
            head_sha="ec26c3e57ca3a959ca5aad62de7213c562f8c821",
        )
        for name, value in changes.items():
            setattr(pr, name, value)
        return pr

    def review(self, state: str = "COMMENTED") -> Review:
        return Review(id=237895671, user="Codertocat", state=state, submitted_at=at("2019-05-15T15:20:38Z"))

    def user(self, login: str) -> dict[str, Any]:
        return shapes.user_by_login(self.state, login)

    def org(self) -> dict[str, Any]:
        org = self.state.account("Octocoders")
        assert org is not None
        return shapes.org_json(self.state, org)

    def installation_ref(self, inst: Installation | None = None) -> dict[str, Any]:
        """The short ``installation`` object of events that are not about the installation itself."""
        ident = (inst or self.pr_installation).id
        return {"id": ident, "node_id": shapes.node_id("IntegrationInstallation", ident)}


def envelope_variant(w: World, payload: dict[str, Any], *, installation: bool, organization: bool) -> dict[str, Any]:
    """GitHub's examples come with and without the optional ``installation`` and ``organization`` keys."""
    if not installation:
        payload.pop("installation", None)
    if organization:
        payload["organization"] = w.org()
    return payload
