"""``/_emulator/*``: the test tool's own API (JSON, no auth; the server binds 127.0.0.1 by default).

Drills and tests set the world up here: accounts, repositories with N historical PRs,
installations (with their webhooks), live activity, faults, rate limits, raw signed deliveries.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..activity import activity_run
from ..history import pr_id, sha_for
from ..httpkit import HttpError, Request, Response, Router, json_response
from ..installations import installation_change, installation_install, repository_transfer
from ..models import Fault, PullRequest, Review
from ..scenario import load_scenario
from ..shapes import user_json
from ..state import utcnow
from ..webhooks import deliver

if TYPE_CHECKING:
    from ..server import EmulatorServer

MAX_HISTORY = 100_000


def register(router: Router, emulator: EmulatorServer) -> None:
    state = emulator.state

    def body_of(request: Request) -> dict[str, Any]:
        data = request.json()
        if not isinstance(data, dict):
            raise HttpError(400, "Expected a JSON object")
        return data

    def summary(request: Request) -> Response:
        with state.lock:
            return json_response(
                {
                    "url": state.base_url,
                    "apps": [
                        {"id": a.id, "slug": a.slug, "client_id": a.client_id, "webhook_url": a.webhook_url}
                        for a in state.apps.values()
                    ],
                    "accounts": [
                        {
                            "id": a.id,
                            "login": a.login,
                            "type": a.type,
                            "members": sorted(a.members),
                            "admins": sorted(a.admins),
                        }
                        for a in state.accounts.values()
                    ],
                    "repositories": [
                        {"id": r.id, "full_name": r.full_name, "pull_requests": r.next_number - 1}
                        for r in state.repositories.values()
                    ],
                    "installations": [
                        {
                            "id": i.id,
                            "app_id": i.app_id,
                            "account": i.account_login,
                            "repository_selection": i.repository_selection,
                            "repositories": [r.full_name for r in state.installation_repos(i)],
                            "suspended": i.suspended_at is not None,
                        }
                        for i in state.installations.values()
                    ],
                    "deliveries": len(state.deliveries),
                    "faults": [vars(f) for f in state.faults],
                    "rate_limit": {"rest": state.rest_limit, "graphql": state.graphql_limit},
                }
            )

    def scenario(request: Request) -> Response:
        data = body_of(request)
        try:
            return json_response(load_scenario(state, str(data.get("name", "demo")), int(data.get("seed", state.seed))))
        except ValueError as exc:
            raise HttpError(422, str(exc)) from exc

    def accounts(request: Request) -> Response:
        """``{"login", "type": "User"|"Organization"|"Bot", "name", "members": [...], "admins": [...]}``; members
        are created too. ``admins`` are members with the organization role ``admin`` (owners)."""
        data = body_of(request)
        kind = str(data.get("type", "User"))
        if not data.get("login") or kind not in ("User", "Organization", "Bot"):
            raise HttpError(422, "login is required; type is User, Organization or Bot")
        members = [str(m) for m in data.get("members", [])]
        admins = [str(m) for m in data.get("admins", [])]
        for member in (*members, *admins):
            state.add_account(member)
        account = state.add_account(str(data["login"]), kind, str(data.get("name", "")), members, admins)
        return json_response({"id": account.id, "login": account.login, "type": account.type}, 201)

    def repositories(request: Request) -> Response:
        data = body_of(request)
        count = int(data.get("pull_requests", 0))
        reviews = data.get("reviews_per_pr")
        if not data.get("owner") or not data.get("name") or not 0 <= count <= MAX_HISTORY:
            raise HttpError(422, f"owner and name are required; pull_requests between 0 and {MAX_HISTORY}")
        if reviews is not None and not 0 <= int(reviews) <= 99:
            raise HttpError(422, "reviews_per_pr must be between 0 and 99")
        repo = state.add_repository(
            str(data["owner"]),
            str(data["name"]),
            pull_requests=count,
            private=bool(data.get("private", True)),
            reviews_per_pr=None if reviews is None else int(reviews),
            seed=None if data.get("seed") is None else int(data["seed"]),
        )
        return json_response({"id": repo.id, "full_name": repo.full_name, "pull_requests": repo.next_number - 1}, 201)

    def pulls(request: Request) -> Response:
        """Add one PR now, with ``reviews`` reviews (any number: for review-pagination tests). No webhooks.

        ``user`` is the author (``ghost``: a deleted account, null as GraphQL's author), ``author_type``
        ``Mannequin`` makes it an imported placeholder, ``body`` may be null."""
        data = body_of(request)
        repo = state.repo_by_full_name(str(data.get("repository", "")))
        if repo is None:
            raise HttpError(404, "Repository not found")
        with state.lock:
            number, now = state.new_pr_number(repo), utcnow()
            reviewers = repo.history_humans or [repo.owner_login]
            author = str(data.get("user", reviewers[0]))
            if data.get("author_type") == "Mannequin":  # a placeholder for a user of an imported repository
                state.account(author) or state.add_account(author, "Mannequin")
            pr = PullRequest(
                id=pr_id(repo, number),
                number=number,
                title=str(data.get("title", f"PR {number}")),
                body=data.get("body", ""),  # null as GitHub sends a PR opened without a description
                user=author,
                head_ref=f"feature/{number}",
                base_ref=repo.default_branch,
                created_at=now,
                updated_at=now,
                head_sha=sha_for(repo, number),
            )
            for k in range(int(data.get("reviews", 0))):
                pr.reviews.append(Review(state.next_review_id(), reviewers[k % len(reviewers)], "COMMENTED", now))
            repo.live[number] = pr
            state.touch(repo)
        return json_response({"number": number, "id": pr.id, "reviews": len(pr.reviews)}, 201)

    def installations(request: Request) -> Response:
        data = body_of(request)
        app = state.app(int(data["app_id"])) if data.get("app_id") else emulator.app
        if app is None:
            raise HttpError(404, "App not found")
        repos = data.get("repositories", "all")
        sender = str(data.get("sender") or data.get("account"))
        inst, action, sent = installation_install(state, app, str(data.get("account", "")), repos, sender)
        return json_response({"id": inst.id, "setup_action": action, "deliveries": [d.guid for d in sent]}, 201)

    def installation_action(request: Request) -> Response:
        ident = request.params["id"]
        sent = installation_change(state, int(ident) if ident.isdigit() else -1, request.params["action"])
        return json_response({"deliveries": [d.guid for d in sent]})

    def transfers(request: Request) -> Response:
        """``{"repository": "acme/api", "new_owner": "beta", "sender": "octo", "select": true}``: transfer a repository
        to another account and send the events GitHub sends (``repository.transferred``, ``installation_repositories``
        removed / added); ``select: false`` leaves it out of the new owner's installation with selected
        repositories."""
        data = body_of(request)
        if not data.get("repository") or not data.get("new_owner"):
            raise HttpError(422, "repository and new_owner are required")
        sender = str(data.get("sender") or data["new_owner"])
        sent = repository_transfer(
            state, str(data["repository"]), str(data["new_owner"]), sender, select=bool(data.get("select", True))
        )
        repo = state.repo_by_full_name(f"{data['new_owner']}/{str(data['repository']).split('/')[-1]}")
        full_name = repo.full_name if repo is not None else ""
        return json_response({"full_name": full_name, "deliveries": [d.guid for d in sent]}, 201)

    def activity(request: Request) -> Response:
        data = body_of(request)
        actions = data.get("actions")
        results = activity_run(
            emulator,
            str(data.get("repository", "")),
            int(data.get("count", 1)),
            [str(a) for a in actions] if actions is not None else None,
            None if data.get("seed") is None else int(data["seed"]),
        )
        return json_response({"results": results})

    def webhook_url(request: Request) -> Response:
        data = body_of(request)
        app = state.app(int(data["app_id"])) if data.get("app_id") else emulator.app
        if app is None:
            raise HttpError(404, "App not found")
        app.webhook_url = str(data.get("url") or "")
        if "secret" in data:
            app.webhook_secret = str(data["secret"])
        return json_response({"app_id": app.id, "url": app.webhook_url})

    def faults(request: Request) -> Response:
        """``{"status": 502, "count": 3, "path_prefix": "/graphql"}``, ``"html": true`` for GitHub's HTML 5xx page,
        ``{"secondary": true, "retry_after": 30}`` (403, or ``"status": 200`` for GraphQL's shape), ``{"status": 200,
        "message": "…"}`` for an untyped GraphQL error; ``{"clear": true}`` removes all pending faults."""
        data = body_of(request)
        with state.lock:
            if data.get("clear"):
                state.faults.clear()
                return json_response({"faults": []})
            fault = Fault(
                count=int(data.get("count", 1)),
                path_prefix=str(data.get("path_prefix", "/")),
                status=int(data.get("status", 403 if data.get("secondary") else 502)),
                secondary=bool(data.get("secondary", False)),
                retry_after=int(data.get("retry_after", 60)),
                html=bool(data.get("html", False)),
                message=None if data.get("message") is None else str(data["message"]),
            )
            state.faults.append(fault)
            return json_response({"faults": [vars(f) for f in state.faults]}, 201)

    def rate_limit(request: Request) -> Response:
        """Set the REST and/or GraphQL limit per installation and start a fresh window for everyone."""
        data = body_of(request)
        with state.lock:
            state.rest_limit = int(data.get("rest", state.rest_limit))
            state.graphql_limit = int(data.get("graphql", state.graphql_limit))
            state.budgets.clear()
            return json_response({"rest": state.rest_limit, "graphql": state.graphql_limit})

    def send(request: Request) -> Response:
        data = body_of(request)
        app = state.app(int(data["app_id"])) if data.get("app_id") else emulator.app
        if app is None or not data.get("event") or not isinstance(data.get("payload"), dict):
            raise HttpError(422, "event and payload (an object) are required")
        delivery = deliver(state, app, str(data["event"]), data["payload"])
        return json_response(delivery.as_json() if delivery else {"status": "no webhook url"}, 201 if delivery else 200)

    def leave(request: Request) -> Response:
        """``{"login"}`` leaves the organization (GitHub: removed, or left): their membership answers 404 from now on.
        GitHub's ``organization.member_removed`` reaches only Apps subscribed to ``organization``; none is sent."""
        data = body_of(request)
        login = str(data.get("login", "")).lower()
        with state.lock:
            org = state.account(request.params["org"])
            if org is None or not org.is_org or org.role_of(login) is None:
                raise HttpError(404, "Not Found")
            org.members = {m for m in org.members if m.lower() != login}
            org.admins = {m for m in org.admins if m.lower() != login}
        return json_response({"org": org.login, "left": login})

    def revoke(request: Request) -> Response:
        """``{"login"}`` revokes their authorization of the App (Settings → Applications → Revoke): every user
        token of theirs stops working and the App receives ``github_app_authorization`` ``revoked``."""
        data = body_of(request)
        app = state.app(int(data["app_id"])) if data.get("app_id") else emulator.app
        with state.lock:
            user = state.account(str(data.get("login", "")))
            if app is None or user is None:
                raise HttpError(404, "Not Found")
            for value in [
                t for t, tok in state.tokens.items() if tok.app_id == app.id and tok.user_login == user.login
            ]:
                del state.tokens[value]
            for value in [
                r for r, (app_id, login, _) in state.refresh_tokens.items() if (app_id, login) == (app.id, user.login)
            ]:
                del state.refresh_tokens[value]
            payload = {"action": "revoked", "sender": user_json(state, user)}
        delivery = deliver(state, app, "github_app_authorization", payload)
        return json_response({"delivery": delivery.guid if delivery else None})

    def requests_served(request: Request) -> Response:
        with state.lock:
            if request.method == "DELETE":
                state.request_counts.clear()
            counts = dict(sorted(state.request_counts.items()))
        return json_response({"total": sum(counts.values()), "by_path": counts})

    def tokens(request: Request) -> Response:
        """Expire every token now (drills for token refresh): ``{"expire": true}``."""
        data = body_of(request)
        with state.lock:
            if data.get("expire"):
                for token in state.tokens.values():
                    token.expires_at = utcnow()
            return json_response({"tokens": len(state.tokens)})

    router.add("GET", "/_emulator/state", summary, "control")
    router.add("POST", "/_emulator/scenario", scenario, "control")
    router.add("POST", "/_emulator/accounts", accounts, "control")
    router.add("POST", "/_emulator/repositories", repositories, "control")
    router.add("POST", "/_emulator/pulls", pulls, "control")
    router.add("POST", "/_emulator/installations", installations, "control")
    router.add("POST", "/_emulator/installations/{id}/{action}", installation_action, "control")
    router.add("POST", "/_emulator/transfers", transfers, "control")
    router.add("POST", "/_emulator/activity", activity, "control")
    router.add("POST", "/_emulator/webhook-url", webhook_url, "control")
    router.add("POST", "/_emulator/faults", faults, "control")
    router.add("POST", "/_emulator/rate-limit", rate_limit, "control")
    router.add("POST", "/_emulator/send", send, "control")
    router.add("POST", "/_emulator/tokens", tokens, "control")
    router.add("POST", "/_emulator/accounts/{org}/leave", leave, "control")
    router.add("POST", "/_emulator/authorizations/revoke", revoke, "control")
    router.add("GET", "/_emulator/requests", requests_served, "control")
    router.add("DELETE", "/_emulator/requests", requests_served, "control")
