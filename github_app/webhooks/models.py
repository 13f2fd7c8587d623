"""Value types read from webhook payloads, and the functions reading each from a payload object.

Identity is GitHub's numeric ids; names (`login`, `full_name`) are display data that change on
renames. Only fields the product uses are typed; the raw payload stays on the event.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from github_app._reader import Reader
from github_app.accounts import is_bot_account


class WebhookPayloadError(ValueError):
    """A payload lacks a field its event needs, or has it with the wrong type; the message names the path."""


@dataclass(frozen=True, slots=True)
class GitHubUser:
    """`sender`, `pull_request.user`, `review.user`, `requested_reviewer`: `{"id", "login", "type", "avatar_url"}`."""

    id: int
    login: str
    type: str
    avatar_url: str

    @property
    def is_bot(self) -> bool:
        return is_bot_account(type_name=self.type, login=self.login)


@dataclass(frozen=True, slots=True)
class Account:
    """The user, organization or enterprise an installation belongs to (`installation.account`)."""

    id: int
    login: str
    type: str
    avatar_url: str


@dataclass(frozen=True, slots=True)
class RepositoryRef:
    """The short repository objects of installation events: `{"id", "name", "full_name", "private"}`."""

    id: int
    full_name: str
    private: bool


@dataclass(frozen=True, slots=True)
class Repository:
    """The full `repository` object of repository and pull_request events."""

    id: int
    name: str
    full_name: str
    owner_login: str
    private: bool
    archived: bool
    default_branch: str


@dataclass(frozen=True, slots=True)
class Installation:
    """The full `installation` object of installation / installation_repositories events.

    `created_at`/`updated_at` arrive as epoch integers in some payloads and ISO strings in others.
    """

    id: int
    account: Account
    repository_selection: str
    permissions: Mapping[str, str]
    events: tuple[str, ...]
    app_id: int | None
    target_type: str
    suspended_at: datetime | None
    html_url: str
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class PullRequest:
    """`pull_request` of pull_request and pull_request_review events.

    Review events carry a shorter object without `merged`/`additions`/...: `merged` is then derived
    from `merged_at` and the counts are None.
    """

    id: int
    number: int
    title: str
    body: str | None
    state: str
    draft: bool
    merged: bool
    merged_at: datetime | None
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    user: GitHubUser
    head_ref: str
    base_ref: str
    additions: int | None
    deletions: int | None
    changed_files: int | None
    labels: tuple[str, ...]
    html_url: str
    # The commit the merge made on the base branch (squash, rebase or merge commit). GitHub also fills
    # ``merge_commit_sha`` on an open PR with a test merge that is never deployed, so it is kept only once merged.
    merge_commit_sha: str | None = None


@dataclass(frozen=True, slots=True)
class Review:
    """`review` of pull_request_review events; `state` lower-cased (`approved`, `changes_requested`, ...)."""

    id: int
    state: str
    submitted_at: datetime | None
    user: GitHubUser | None
    body: str | None


def read_user(r: Reader) -> GitHubUser:
    return GitHubUser(
        id=r.integer("id"), login=r.text("login"), type=r.opt_text("type") or "User", avatar_url=_avatar(r)
    )


def read_opt_user(r: Reader | None) -> GitHubUser | None:
    return None if r is None else read_user(r)


def _avatar(r: Reader) -> str:
    return r.opt_text("avatar_url") or ""


def read_account(r: Reader) -> Account:
    """Enterprise accounts have `slug`/`name` instead of `login`; the slug stands in for it."""
    login = r.opt_text("login") or r.opt_text("slug")
    if login is None:
        login = r.text("login")
    return Account(id=r.integer("id"), login=login, type=r.opt_text("type") or "Enterprise", avatar_url=_avatar(r))


def read_repository_ref(r: Reader) -> RepositoryRef:
    return RepositoryRef(id=r.integer("id"), full_name=r.text("full_name"), private=r.flag("private", default=False))


def read_repository(r: Reader) -> Repository:
    return Repository(
        id=r.integer("id"),
        name=r.text("name"),
        full_name=r.text("full_name"),
        owner_login=r.obj("owner").text("login"),
        private=r.flag("private"),
        archived=r.flag("archived", default=False),
        default_branch=r.opt_text("default_branch") or "",
    )


def read_installation(r: Reader) -> Installation:
    return Installation(
        id=r.integer("id"),
        account=read_account(r.obj("account")),
        repository_selection=r.opt_text("repository_selection") or "",
        permissions=r.mapping("permissions"),
        events=r.strings("events"),
        app_id=r.opt_integer("app_id"),
        target_type=r.opt_text("target_type") or "",
        suspended_at=r.opt_timestamp("suspended_at"),
        html_url=r.opt_text("html_url") or "",
        created_at=r.opt_timestamp("created_at"),
        updated_at=r.opt_timestamp("updated_at"),
    )


def read_pull_request(r: Reader) -> PullRequest:
    merged_at = r.opt_timestamp("merged_at")
    merged = r.data.get("merged")
    is_merged = r.flag("merged") if merged is not None else merged_at is not None
    return PullRequest(
        id=r.integer("id"),
        number=r.integer("number"),
        title=r.text("title"),
        body=r.opt_text("body"),
        state=r.text("state"),
        draft=r.flag("draft", default=False),
        merged=is_merged,
        merged_at=merged_at,
        created_at=r.timestamp("created_at"),
        updated_at=r.timestamp("updated_at"),
        closed_at=r.opt_timestamp("closed_at"),
        user=read_user(r.obj("user")),
        head_ref=r.obj("head").text("ref"),
        base_ref=r.obj("base").text("ref"),
        additions=r.opt_integer("additions"),
        deletions=r.opt_integer("deletions"),
        changed_files=r.opt_integer("changed_files"),
        labels=tuple(label.text("name") for label in r.objects("labels")),
        html_url=r.opt_text("html_url") or "",
        merge_commit_sha=(r.opt_text("merge_commit_sha") or None) if is_merged else None,
    )


def read_review(r: Reader) -> Review:
    return Review(
        id=r.integer("id"),
        state=r.text("state").lower(),
        submitted_at=r.opt_timestamp("submitted_at"),
        user=read_opt_user(r.opt_obj("user")),
        body=r.opt_text("body"),
    )


def payload_reader(payload: Any) -> Reader:
    return Reader(payload, "", WebhookPayloadError)
