"""The emulator's whole world, in memory, behind one lock.

Handlers mutate state under ``State.lock`` and release it before any network call (webhook
deliveries go to tformance, which may call straight back into the emulator).
"""

from __future__ import annotations

import itertools
import threading
from collections import deque
from datetime import UTC, datetime, timedelta
from typing import Literal

from . import history
from .crypto import random_hex, random_token
from .deploy_store import DeployStore
from .models import Account, App, Budget, Code, Delivery, Fault, Installation, PullRequest, Repository, Token

INSTALLATION_TOKEN_TTL = timedelta(hours=1)
USER_TOKEN_TTL = timedelta(hours=8)
CODE_TTL = timedelta(minutes=10)
# GitHub Apps' user access tokens expire by default ("Refreshing user access tokens"): 8 hours, with a refresh
# token good for 6 months (15,897,600 seconds) that is single-use.
REFRESH_TOKEN_TTL = timedelta(seconds=15_897_600)
MAX_DELIVERIES = 20_000


def utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


class State:
    """Thread-safe registry of accounts, apps, installations, repositories, tokens and deliveries."""

    def __init__(self, base_url: str = "", rest_limit: int = 5000, graphql_limit: int = 5000) -> None:
        self.lock = threading.RLock()
        self.base_url = base_url
        self.api_prefix = ""  # "/api/v3" when laid out as GitHub Enterprise Server
        self.client_id_issuer = True  # False on GHES before 3.14: only the App id is a JWT issuer there
        self.rest_limit = rest_limit
        self.graphql_limit = graphql_limit
        self.accounts: dict[str, Account] = {}
        self.apps: dict[int, App] = {}
        self.default_app_id: int | None = None
        self.installations: dict[int, Installation] = {}
        self.repositories: dict[int, Repository] = {}
        self.tokens: dict[str, Token] = {}
        self.codes: dict[str, Code] = {}
        self.refresh_tokens: dict[str, tuple[int, str, datetime]] = {}  # value -> (app id, login, expires at)
        # Bounded like GitHub's own log (it keeps 3 days): load tests send hundreds of thousands of payloads.
        self.deliveries: deque[Delivery] = deque(maxlen=MAX_DELIVERIES)
        self.faults: list[Fault] = []
        self.budgets: dict[tuple[str, str], Budget] = {}
        self.request_counts: dict[str, int] = {}
        self.seed = 0
        self.deploys = DeployStore()  # deployments, workflow runs and branch histories (deploy_store.py)
        self._account_ids = itertools.count(1001)
        self._app_ids = itertools.count(900_001)
        self._installation_ids = itertools.count(40_000_001)
        self._repo_ids = itertools.count(700_001)
        self._delivery_ids = itertools.count(90_000_000_001)
        self._review_ids = itertools.count(5 * 10**14)

    # accounts -----------------------------------------------------------------------------------
    def add_account(
        self,
        login: str,
        type: str = "User",
        name: str = "",
        members: list[str] | None = None,
        admins: list[str] | None = None,
    ) -> Account:
        """Create (or return) an account; re-adding an org merges its member lists. ``admins`` are members whose
        organization role is ``admin`` (owners); the others in ``members`` are plain members."""
        with self.lock:
            account = self.accounts.get(login.lower())
            if account is None:
                account = Account(id=next(self._account_ids), login=login, type=type, name=name or login)  # type: ignore[arg-type]
                self.accounts[login.lower()] = account
            account.members.update(members or [])
            account.members.update(admins or [])
            account.admins.update(admins or [])
            return account

    def account(self, login: str | None) -> Account | None:
        return self.accounts.get((login or "").lower())

    def member_accounts(self, user_login: str) -> list[Account]:
        """Accounts whose installations a user can see in ``GET /user/installations``: themselves and every org they
        belong to, whatever their role (a member reads the org's repositories)."""
        with self.lock:
            user = self.account(user_login)
            if user is None:
                return []
            orgs = [a for a in self.accounts.values() if a.is_org and a.role_of(user.login) is not None]
            return [user, *sorted(orgs, key=lambda a: a.login)]

    def installable_accounts(self, user_login: str) -> list[Account]:
        """Accounts a user may install an App on: themselves and the orgs they own (role ``admin``). A plain member
        can only request an installation, which an owner approves."""
        return [a for a in self.member_accounts(user_login) if not a.is_org or a.role_of(user_login) == "admin"]

    def humans(self) -> list[Account]:
        return [a for a in self.accounts.values() if a.type == "User"]

    # apps ---------------------------------------------------------------------------------------
    def add_app(self, app: App | None = None, **fields: object) -> App:
        with self.lock:
            if app is None:
                app = App(id=next(self._app_ids), **fields)  # type: ignore[arg-type]
            app.hook_id = app.hook_id or 400_000_000 + app.id
            app.created_at = app.created_at or utcnow()
            self.apps[app.id] = app
            if self.default_app_id is None:
                self.default_app_id = app.id
            return app

    @property
    def api_url(self) -> str:
        """Where the REST API lives: the origin on github.com's layout, ``/api/v3`` under it on GHES."""
        return self.base_url + self.api_prefix

    def app(self, app_id: int | None = None) -> App | None:
        return self.apps.get(app_id if app_id is not None else (self.default_app_id or 0))

    def app_by_slug(self, slug: str) -> App | None:
        return next((a for a in self.apps.values() if a.slug == slug), None)

    def app_by_issuer(self, issuer: str) -> App | None:
        """GitHub accepts the app id (as a number or string) or the client id as a JWT ``iss``."""
        accepted = (lambda a: (str(a.id), a.client_id)) if self.client_id_issuer else (lambda a: (str(a.id),))
        return next((a for a in self.apps.values() if issuer in accepted(a)), None)

    def app_by_client_id(self, client_id: str) -> App | None:
        return next((a for a in self.apps.values() if a.client_id == client_id), None)

    def unique_slug(self, slug: str) -> str:
        taken = {a.slug for a in self.apps.values()}
        candidate, n = slug, 2
        while candidate in taken:
            candidate, n = f"{slug}-{n}", n + 1
        return candidate

    # repositories -------------------------------------------------------------------------------
    def add_repository(
        self,
        owner: str,
        name: str,
        *,
        pull_requests: int = 0,
        private: bool = True,
        reviews_per_pr: int | None = None,
        seed: int | None = None,
    ) -> Repository:
        """Register a repository with ``pull_requests`` historical PRs, generated lazily from the seed."""
        with self.lock:
            owner_account = self.account(owner) or self.add_account(owner, "Organization")
            existing = self.repo_by_full_name(f"{owner_account.login}/{name}")
            if existing is not None:
                return existing
            now = utcnow()
            members = sorted(owner_account.members) if owner_account.is_org else [owner_account.login]
            humans = [m for m in members if (acc := self.account(m)) is not None and acc.type == "User"]
            bots = [a.login for a in self.accounts.values() if a.type == "Bot"]
            repo = Repository(
                id=next(self._repo_ids),
                owner_login=owner_account.login,
                name=name,
                private=private,
                created_at=now - timedelta(days=400),
                history_count=pull_requests,
                history_seed=self.seed if seed is None else seed,
                history_anchor=now,
                history_reviews=reviews_per_pr,
                history_humans=humans or [owner_account.login],
                history_bots=bots,
                next_number=pull_requests + 1,
            )
            self.repositories[repo.id] = repo
            return repo

    def repo_by_full_name(self, full_name: str) -> Repository | None:
        wanted = full_name.lower()
        return next((r for r in self.repositories.values() if r.full_name.lower() == wanted), None)

    def repos_of(self, owner_login: str) -> list[Repository]:
        return sorted(
            (r for r in self.repositories.values() if r.owner_login.lower() == owner_login.lower()), key=lambda r: r.id
        )

    # pull requests ------------------------------------------------------------------------------
    def pull_request(self, repo: Repository, number: int) -> PullRequest | None:
        """A live PR if one exists (created or touched by activity), else the generated historical one."""
        if number in repo.live:
            return repo.live[number]
        if 1 <= number <= repo.history_count:
            return history.generate(repo, number)
        return None

    def materialize(self, repo: Repository, number: int) -> PullRequest | None:
        """Turn a generated PR into a stored one so activity can change it."""
        with self.lock:
            pr = self.pull_request(repo, number)
            if pr is not None:
                repo.live[number] = pr
                self.touch(repo)
            return pr

    def touch(self, repo: Repository) -> None:
        repo.version += 1

    def pr_order(self, repo: Repository) -> list[int]:
        """PR numbers by ``updated_at`` descending (GraphQL orderBy UPDATED_AT DESC), cached per version."""
        with self.lock:
            if repo.order_cache is not None and repo.order_cache[0] == repo.version:
                return repo.order_cache[1]
            keys = history.updated_keys(repo)
            for number, pr in repo.live.items():
                keys[number] = pr.updated_at.timestamp()
            order = sorted(keys, key=lambda n: (keys[n], n), reverse=True)
            repo.order_cache = (repo.version, order)
            return order

    def next_review_id(self) -> int:
        with self.lock:
            return next(self._review_ids)

    def new_pr_number(self, repo: Repository) -> int:
        with self.lock:
            number = repo.next_number
            repo.next_number += 1
            return number

    # installations ------------------------------------------------------------------------------
    def add_installation(
        self, app: App, account: Account, selection: str, repo_ids: list[int], sender: str
    ) -> Installation:
        with self.lock:
            now = utcnow()
            inst = Installation(
                id=next(self._installation_ids),
                app_id=app.id,
                account_login=account.login,
                repository_selection="all" if selection == "all" else "selected",
                repository_ids=[] if selection == "all" else list(repo_ids),
                created_at=now,
                updated_at=now,
                sender_login=sender,
                permissions=dict(app.permissions),
                events=list(app.events),
            )
            self.installations[inst.id] = inst
            return inst

    def installation_for(self, app: App, account_login: str) -> Installation | None:
        return next(
            (
                i
                for i in self.installations.values()
                if i.app_id == app.id and i.account_login.lower() == account_login.lower()
            ),
            None,
        )

    def installation_repos(self, inst: Installation, token: Token | None = None) -> list[Repository]:
        """The installation's repositories; with a token minted for some of them, only those."""
        if inst.repository_selection == "all":
            repos = self.repos_of(inst.account_login)
        else:
            repos = [self.repositories[i] for i in inst.repository_ids if i in self.repositories]
        if token is not None and token.repository_ids is not None:
            repos = [r for r in repos if r.id in token.repository_ids]
        return repos

    def installations_covering(self, repo: Repository) -> list[Installation]:
        """Active installations whose repositories include ``repo`` — the ones that get its events."""
        with self.lock:
            return [
                i
                for i in self.installations.values()
                if i.suspended_at is None and repo.id in {r.id for r in self.installation_repos(i)}
            ]

    # tokens and codes ---------------------------------------------------------------------------
    def mint_installation_token(self, inst: Installation, repository_ids: tuple[int, ...] | None = None) -> Token:
        with self.lock:
            token = Token(
                value=random_token("ghs_"),
                kind="installation",
                app_id=inst.app_id,
                expires_at=utcnow() + INSTALLATION_TOKEN_TTL,
                installation_id=inst.id,
                repository_ids=repository_ids,
            )
            self.tokens[token.value] = token
            return token

    def mint_user_token(self, app_id: int, login: str) -> Token:
        with self.lock:
            token = Token(value=random_token("ghu_"), kind="user", app_id=app_id, expires_at=utcnow() + USER_TOKEN_TTL)
            token.user_login = login
            self.tokens[token.value] = token
            return token

    def mint_refresh_token(self, app_id: int, login: str) -> str:
        with self.lock:
            value = random_token("ghr_")
            self.refresh_tokens[value] = (app_id, login, utcnow() + REFRESH_TOKEN_TTL)
            return value

    def redeem_refresh_token(self, value: str, app_id: int) -> str | None:
        """Single use: the login it was issued for, or None (unknown, another App's, expired or used)."""
        with self.lock:
            entry = self.refresh_tokens.pop(value, None)
            if entry is None or entry[0] != app_id or entry[2] <= utcnow():
                return None
            return entry[1]

    def issue_code(self, kind: Literal["oauth", "manifest"], app_id: int, login: str | None = None) -> str:
        with self.lock:
            code = random_hex(10)
            self.codes[code] = Code(kind=kind, app_id=app_id, login=login, expires_at=utcnow() + CODE_TTL)
            return code

    def redeem_code(self, code: str, kind: Literal["oauth", "manifest"]) -> Code | None:
        """Codes are single use: the first redemption removes them, whatever happens next."""
        with self.lock:
            found = self.codes.get(code)
            if found is None or found.kind != kind:
                return None
            del self.codes[code]
            return found if found.expires_at > utcnow() else None

    # deliveries ---------------------------------------------------------------------------------
    def new_delivery_id(self) -> int:
        with self.lock:
            return next(self._delivery_ids)

    def record_delivery(self, delivery: Delivery) -> None:
        with self.lock:
            self.deliveries.append(delivery)

    # rate limits, faults, counters --------------------------------------------------------------
    def budget(self, resource: str, subject: str) -> Budget:
        """The budget of one subject (``installation:ID``, ``app:ID``, ``user:LOGIN``) for ``core`` or ``graphql``."""
        with self.lock:
            key = (resource, subject)
            if key not in self.budgets:
                self.budgets[key] = Budget(limit=self.graphql_limit if resource == "graphql" else self.rest_limit)
            budget = self.budgets[key]
            budget.roll(utcnow())
            return budget

    def take_fault(self, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if path.startswith(fault.path_prefix) and fault.count > 0:
                    fault.count -= 1
                    if fault.count == 0:
                        self.faults.remove(fault)
                    return fault
            return None

    def count_request(self, path: str) -> None:
        with self.lock:
            self.request_counts[path] = self.request_counts.get(path, 0) + 1
