"""Plain records for everything the emulator knows. No behaviour beyond small derived values.

Times are timezone-aware UTC datetimes; they are formatted GitHub's way only when serialised.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

AccountType = Literal["User", "Organization", "Bot", "Mannequin"]
# The App as tformance's app-manifest.json registers it (a test keeps the two equal): the demo's and the tests' App.
DEFAULT_PERMISSIONS: dict[str, str] = {
    "metadata": "read",
    "pull_requests": "read",
    "members": "read",
    "deployments": "read",
    "contents": "read",
}
DEFAULT_EVENTS: list[str] = ["pull_request", "pull_request_review", "repository", "deployment", "deployment_status"]
RATE_WINDOW = timedelta(hours=1)


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


OrgRole = Literal["admin", "member"]


@dataclass
class Account:
    """A GitHub user, bot or organization. ``members`` holds logins and is used for organizations only; ``admins``
    are the members whose organization role is ``admin`` (owners), every other member's role is ``member``."""

    id: int
    login: str
    type: AccountType
    name: str = ""
    members: set[str] = field(default_factory=set)
    admins: set[str] = field(default_factory=set)

    @property
    def is_org(self) -> bool:
        return self.type == "Organization"

    def role_of(self, login: str) -> OrgRole | None:
        """The organization role of a user, as ``GET /user/memberships/orgs/{org}`` reports it (None: not a
        member). Logins compare case-insensitively, as on GitHub."""
        wanted = login.lower()
        if any(a.lower() == wanted for a in self.admins):
            return "admin"
        if any(m.lower() == wanted for m in self.members):
            return "member"
        return None


@dataclass
class App:
    """A GitHub App registration: its credentials, and where its single app-level webhook points."""

    id: int
    slug: str
    name: str
    client_id: str
    client_secret: str
    webhook_secret: str
    private_key_pem: str
    public_key_pem: str
    owner_login: str
    webhook_url: str = ""
    setup_url: str = ""
    hook_id: int = 0
    permissions: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_PERMISSIONS))
    events: list[str] = field(default_factory=lambda: list(DEFAULT_EVENTS))
    created_at: datetime | None = None
    description: str = ""
    external_url: str = ""
    public: bool = True
    # "Request user authorization (OAuth) during installation": after installing, GitHub sends the browser to the
    # first callback URL with a user code, and the setup URL (and "Redirect on update") is unavailable.
    request_oauth_on_install: bool = True
    # "Redirect on update" (manifest ``setup_on_update``): after an update, send the browser to the setup URL too.
    setup_on_update: bool = False


@dataclass
class Installation:
    """One installation of an App on one account; ``repository_ids`` is used when selection is ``selected``."""

    id: int
    app_id: int
    account_login: str
    repository_selection: Literal["all", "selected"]
    repository_ids: list[int]
    created_at: datetime
    updated_at: datetime
    sender_login: str
    permissions: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_PERMISSIONS))
    events: list[str] = field(default_factory=lambda: list(DEFAULT_EVENTS))
    suspended_at: datetime | None = None
    suspended_by: str | None = None


@dataclass
class Review:
    """A submitted review. ``state`` is stored upper case (REST/GraphQL) and lowered for webhooks."""

    id: int
    user: str
    state: str
    submitted_at: datetime
    body: str = ""


@dataclass
class TimelineEvent:
    """One item of a PR's timeline as GraphQL's ``timelineItems`` lists it: ``kind`` is the item type without
    ``_EVENT`` (``READY_FOR_REVIEW``, ``CONVERT_TO_DRAFT``, ``REVIEW_REQUESTED``, ``REVIEW_REQUEST_REMOVED``);
    ``actor`` is who did it, ``reviewer`` the person asked for a review, ``team`` the team asked instead."""

    kind: str
    at: datetime
    actor: str = ""
    reviewer: str = ""
    team: str = ""


@dataclass
class PullRequest:
    """A pull request with the facts tformance measures: draft transitions, review requests, reviews, merge."""

    id: int
    number: int
    title: str
    body: str | None
    user: str
    head_ref: str
    base_ref: str
    created_at: datetime
    updated_at: datetime
    state: Literal["open", "closed"] = "open"
    draft: bool = False
    closed_at: datetime | None = None
    merged_at: datetime | None = None
    additions: int = 0
    deletions: int = 0
    changed_files: int = 0
    labels: list[str] = field(default_factory=list)
    requested_reviewers: list[str] = field(default_factory=list)
    reviews: list[Review] = field(default_factory=list)
    timeline: list[TimelineEvent] = field(default_factory=list)
    head_sha: str = ""

    @property
    def merged(self) -> bool:
        return self.merged_at is not None


@dataclass
class Repository:
    """A repository. Historical PRs are described by ``history_count`` and generated on demand."""

    id: int
    owner_login: str
    name: str
    private: bool = True
    archived: bool = False
    default_branch: str = "main"
    created_at: datetime | None = None
    description: str = ""
    history_count: int = 0
    history_seed: int = 0
    history_anchor: datetime | None = None
    history_reviews: int | None = None
    history_humans: list[str] = field(default_factory=list)
    history_bots: list[str] = field(default_factory=list)
    live: dict[int, PullRequest] = field(default_factory=dict)
    next_number: int = 1
    version: int = 0
    order_cache: tuple[int, list[int]] | None = None
    open_history_materialized: bool = False

    @property
    def full_name(self) -> str:
        return f"{self.owner_login}/{self.name}"


@dataclass
class Delivery:
    """One webhook delivery attempt as listed by ``GET /app/hook/deliveries``; keeps its body for redelivery."""

    id: int
    guid: str
    app_id: int
    event: str
    action: str | None
    installation_id: int | None
    repository_id: int | None
    body: bytes
    delivered_at: datetime
    redelivery: bool = False
    duration: float = 0.0
    status: str = ""
    status_code: int = 0
    url: str = ""

    def as_json(self) -> dict[str, Any]:
        from .shapes import iso

        return {
            "id": self.id,
            "guid": self.guid,
            "delivered_at": iso(self.delivered_at),
            "redelivery": self.redelivery,
            "duration": self.duration,
            "status": self.status,
            "status_code": self.status_code,
            "event": self.event,
            "action": self.action,
            "installation_id": self.installation_id,
            "repository_id": self.repository_id,
            "throttled_at": None,
        }


@dataclass
class Token:
    """An issued access token: ``ghs_`` for an installation, ``ghu_`` for a user of an App."""

    value: str
    kind: Literal["installation", "user"]
    app_id: int
    expires_at: datetime
    installation_id: int | None = None
    user_login: str | None = None
    # An installation token minted with `repository_ids` reaches only those repositories (None: all of them).
    repository_ids: tuple[int, ...] | None = None


@dataclass
class Budget:
    """A primary rate-limit window (GitHub resets the whole budget once an hour)."""

    limit: int
    used: int = 0
    reset_at: datetime = field(default_factory=lambda: _now() + RATE_WINDOW)

    def roll(self, now: datetime) -> None:
        if now >= self.reset_at:
            self.used = 0
            self.reset_at = now + RATE_WINDOW

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)


@dataclass
class Fault:
    """An injected failure for the next ``count`` requests whose path starts with ``path_prefix``."""

    count: int
    path_prefix: str = "/"
    status: int = 502
    secondary: bool = False
    retry_after: int = 60
    html: bool = False
    message: str | None = None


@dataclass
class Code:
    """A single-use code: an OAuth code (``login``) or a manifest conversion code (``app_id``)."""

    kind: Literal["oauth", "manifest"]
    app_id: int
    expires_at: datetime
    login: str | None = None
