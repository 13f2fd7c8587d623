"""A linear commit history per branch, and what "Compare two commits" answers over it.

Every commit has one parent, so a branch is a chain and the merge base of two commits is the first commit of one
chain that the other contains. The default branch is built on first use from the repository's merged pull requests
(their ``merge_commit_sha``, in merge order, as a squash or merge commit would land) and grows with each later
merge (``record_merge``) or push (``push``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .deploy_store import HISTORY_COMMITS_LIMIT, Commit, RepoDeploys, commit_sha, merge_commit_sha
from .models import PullRequest, Repository
from .state import State

SHA_PREFIX_MIN = 7


def _append(store: RepoDeploys, branch: str, commit: Commit) -> Commit:
    store.branches.setdefault(branch, []).append(commit)
    store.commits[commit.sha] = commit
    return commit


def _build_default(state: State, repo: Repository) -> RepoDeploys:
    store = state.deploys.of(repo)
    if repo.default_branch in store.branches:
        return store
    root_at = repo.created_at or datetime.min
    tip = _append(
        store, repo.default_branch, Commit(commit_sha(repo, "root"), "Initial commit", repo.owner_login, root_at, None)
    )
    merged: list[PullRequest] = []
    if repo.history_count <= HISTORY_COMMITS_LIMIT:
        numbers = set(range(1, repo.history_count + 1)) | set(repo.live)
        for number in sorted(numbers):
            pr = state.pull_request(repo, number)
            if pr is not None and pr.merged_at is not None and pr.base_ref == repo.default_branch:
                merged.append(pr)
    for pr in sorted(merged, key=lambda p: (p.merged_at, p.number)):
        tip = _append(store, repo.default_branch, _merge_commit(pr, tip.sha))
    return store


def _merge_commit(pr: PullRequest, parent: str) -> Commit:
    at = pr.merged_at or pr.updated_at
    return Commit(merge_commit_sha(pr), f"{pr.title} (#{pr.number})", pr.user, at, parent)


def branch(state: State, repo: Repository, name: str) -> list[Commit] | None:
    """The commits of a branch, oldest first (None: no such branch)."""
    return _build_default(state, repo).branches.get(name)


def push(state: State, repo: Repository, name: str, message: str, author: str, at: datetime) -> Commit:
    """One new commit on ``name``; a new branch starts from the default branch's tip."""
    store = _build_default(state, repo)
    if name not in store.branches:
        store.branches[name] = list(store.branches[repo.default_branch])
    parent = store.branches[name][-1]
    sha = commit_sha(repo, f"{name}:{len(store.commits)}:{message}")
    return _append(store, name, Commit(sha, message, author, max(at, parent.at), parent.sha))


def record_merge(state: State, repo: Repository, pr: PullRequest) -> None:
    """A PR just merged: its merge commit lands on its base branch (once, if that branch is already built)."""
    store = state.deploys.of(repo)
    commits = store.branches.get(pr.base_ref)
    if commits is None or merge_commit_sha(pr) in store.commits:
        return
    _append(store, pr.base_ref, _merge_commit(pr, commits[-1].sha))


def find_commit(state: State, repo: Repository, sha: str) -> Commit | None:
    """A commit by full sha or a prefix of at least seven characters (as GitHub resolves abbreviated shas)."""
    commits = _build_default(state, repo).commits
    if sha in commits:
        return commits[sha]
    if len(sha) < SHA_PREFIX_MIN:
        return None
    found = [c for s, c in commits.items() if s.startswith(sha.lower())]
    return found[0] if len(found) == 1 else None


def resolve(state: State, repo: Repository, ref: str) -> Commit | None:
    """A branch name (``main``, ``refs/heads/main``) to its tip, else a commit sha."""
    commits = branch(state, repo, ref.removeprefix("refs/heads/"))
    if commits:
        return commits[-1]
    return find_commit(state, repo, ref)


@dataclass(frozen=True)
class Comparison:
    status: str  # identical, ahead, behind, diverged
    base: Commit
    merge_base: Commit
    ahead: list[Commit]  # in head, not in base, oldest first
    behind_by: int


def _chain(store: RepoDeploys, commit: Commit) -> list[Commit]:
    """``commit`` and its ancestors, newest first."""
    chain, current = [], commit
    while True:
        chain.append(current)
        parent = store.commits.get(current.parent) if current.parent else None
        if parent is None:
            return chain
        current = parent


def compare(state: State, repo: Repository, base: Commit, head: Commit) -> Comparison:
    store = state.deploys.of(repo)
    base_chain, head_chain = _chain(store, base), _chain(store, head)
    in_base = {c.sha: i for i, c in enumerate(base_chain)}
    ahead: list[Commit] = []
    merge_base = head_chain[-1]
    for commit in head_chain:
        if commit.sha in in_base:
            merge_base = commit
            break
        ahead.append(commit)
    behind_by = in_base.get(merge_base.sha, len(base_chain))
    if base.sha == head.sha:
        status = "identical"
    elif behind_by == 0:
        status = "ahead"
    elif not ahead:
        status = "behind"
    else:
        status = "diverged"
    return Comparison(status, base, merge_base, list(reversed(ahead)), behind_by)
