"""Endpoints called with an installation token: its repositories, org members, PRs, GraphQL."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from ..graphql import execute
from ..httpkit import HttpError, Request, Response, Router, json_response, link_header
from ..models import Budget, Repository
from ..payloads import pull_request_json, review_json
from ..shapes import repo_json, user_json
from ..state import State

if TYPE_CHECKING:
    from ..server import EmulatorServer

T = TypeVar("T")


def register(router: Router, emulator: EmulatorServer) -> None:
    state = emulator.state

    def paginate(request: Request, items: list[T], path: str) -> tuple[list[T], dict[str, str]]:
        return page_of(state, request, items, path)

    def repositories(request: Request) -> Response:
        """``{"total_count", "repositories"}``; ``total_count`` is the total, not the page size."""
        if request.installation is None:
            raise HttpError(401, "Requires authentication")
        with state.lock:
            repos = state.installation_repos(request.installation, request.token)
            page, headers = paginate(request, repos, "/installation/repositories")
            body = {
                "total_count": len(repos),
                "repository_selection": request.installation.repository_selection,
                "repositories": [repo_json(state, r) for r in page],
            }
        return json_response(body, headers=headers)

    def members(request: Request) -> Response:
        """Org members (humans only) — visible only to an installation on that org."""
        if request.installation is None:
            raise HttpError(401, "Requires authentication")
        with state.lock:
            org = state.account(request.params["org"])
            if org is None or not org.is_org or org.login != request.installation.account_login:
                raise HttpError(404, "Not Found")
            people = sorted((a for m in org.members if (a := state.account(m))), key=lambda a: a.id)
            page, headers = paginate(request, people, f"/orgs/{org.login}/members")
            return json_response([user_json(state, a) for a in page], headers=headers)

    def accessible_repo(request: Request) -> Repository:
        return repository_of(state, request)

    def pull(request: Request) -> Response:
        with state.lock:
            repo = accessible_repo(request)
            pr = state.pull_request(repo, request.id_param("number"))
            if pr is None:
                raise HttpError(404, "Not Found")
            return json_response(pull_request_json(state, repo, pr))

    def pull_reviews(request: Request) -> Response:
        """REST reviews: same objects as in webhooks, but ``state`` upper case as REST has it."""
        with state.lock:
            repo = accessible_repo(request)
            pr = state.pull_request(repo, request.id_param("number"))
            if pr is None:
                raise HttpError(404, "Not Found")
            page, headers = paginate(request, pr.reviews, request.path)
            body = [{**review_json(state, repo, pr, r), "state": r.state} for r in page]
        return json_response(body, headers=headers)

    def rate_limit(request: Request) -> Response:
        """``GET /rate_limit``: both budgets of the installation; GitHub does not count this call."""
        from ..server import rate_headers

        if request.installation is None:
            raise HttpError(401, "Requires authentication")
        subject = f"installation:{request.installation.id}"
        core, graphql_budget = state.budget("core", subject), state.budget("graphql", subject)

        def entry(budget: Budget) -> dict[str, int]:
            reset = int(budget.reset_at.timestamp())
            return {"limit": budget.limit, "used": budget.used, "remaining": budget.remaining, "reset": reset}

        body = {"resources": {"core": entry(core), "graphql": entry(graphql_budget)}, "rate": entry(core)}
        return json_response(body, headers=rate_headers(core, "core"))

    def graphql(request: Request) -> Response:
        if request.installation is None:
            raise HttpError(401, "Requires authentication")
        return execute(emulator, request.installation, request.json(), request.token)

    router.add("GET", "/installation/repositories", repositories, "installation")
    router.add("GET", "/orgs/{org}/members", members, "installation")
    router.add("GET", "/repos/{owner}/{repo}/pulls/{number}", pull, "installation")
    router.add("GET", "/repos/{owner}/{repo}/pulls/{number}/reviews", pull_reviews, "installation")
    router.add("POST", "/graphql", graphql, "installation")
    router.add("GET", "/rate_limit", rate_limit, "installation")


def page_of(
    state: State, request: Request, items: list[T], path: str, per_page_default: int = 30
) -> tuple[list[T], dict[str, str]]:
    """One page of ``items`` (``per_page`` up to 100, ``page`` from 1) and GitHub's ``Link`` header for it."""
    per_page, page = request.int_query("per_page", per_page_default, 100), request.int_query("page", 1)
    link = link_header(f"{state.api_url}{path}", request.query, page, per_page, len(items))
    return items[(page - 1) * per_page : page * per_page], ({"Link": link} if link else {})


def repository_of(state: State, request: Request) -> Repository:
    """``{owner}/{repo}`` of the path, if the installation (and its token) reaches it; 404 otherwise, as GitHub
    answers for a repository it will not show."""
    if request.installation is None:
        raise HttpError(401, "Requires authentication")
    repo = state.repo_by_full_name(f"{request.params['owner']}/{request.params['repo']}")
    if repo is None or repo.id not in {r.id for r in state.installation_repos(request.installation, request.token)}:
        raise HttpError(404, "Not Found")
    return repo
