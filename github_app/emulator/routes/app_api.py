"""Endpoints an App calls with its JWT: itself, its installations, tokens, and its webhook deliveries."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from ..httpkit import HttpError, Request, Response, Router, json_response, link_header, with_query
from ..models import App, Delivery, Installation
from ..shapes import app_json, installation_json, iso, repo_json
from ..webhooks import redeliver

if TYPE_CHECKING:
    from ..server import EmulatorServer


def register(router: Router, emulator: EmulatorServer) -> None:
    state = emulator.state

    def app_of(request: Request) -> App:
        if request.app is None:
            raise HttpError(401, "Requires authentication")
        return request.app

    def get_app(request: Request) -> Response:
        with state.lock:
            return json_response(app_json(state, app_of(request)))

    def list_installations(request: Request) -> Response:
        """``GET /app/installations``: a bare array, page-numbered with a ``Link`` header."""
        per_page, page = request.int_query("per_page", 30, 100), request.int_query("page", 1)
        with state.lock:
            items = sorted(
                (i for i in state.installations.values() if i.app_id == app_of(request).id), key=lambda i: i.id
            )
            body = [installation_json(state, i) for i in items[(page - 1) * per_page : page * per_page]]
        link = link_header(f"{state.api_url}/app/installations", request.query, page, per_page, len(items))
        return json_response(body, headers={"Link": link} if link else None)

    def find_installation(request: Request) -> Installation:
        inst = state.installations.get(int(request.params["id"])) if request.params["id"].isdigit() else None
        if inst is None or inst.app_id != app_of(request).id:
            raise HttpError(404, "Not Found")
        return inst

    def get_installation(request: Request) -> Response:
        with state.lock:
            return json_response(installation_json(state, find_installation(request)))

    def create_token(request: Request) -> Response:
        """Mint a one-hour ``ghs_`` token; 404 for an unknown installation, 403 if suspended. A body with
        ``repository_ids`` scopes the token to those repositories (GitHub: 422 when one of them is not accessible
        to the installation) and the answer lists them under ``repositories``."""
        body = request.json()
        wanted = body.get("repository_ids") if isinstance(body, dict) else None
        with state.lock:
            inst = find_installation(request)
            if inst.suspended_at is not None:
                raise HttpError(403, "This installation has been suspended")
            scope: tuple[int, ...] | None = None
            if wanted is not None:
                reachable = {r.id: r for r in state.installation_repos(inst)}
                if not isinstance(wanted, list) or not all(isinstance(i, int) and i in reachable for i in wanted):
                    raise HttpError(
                        422,
                        "There is at least one repository that does not exist or is not accessible to the parent "
                        "installation.",
                    )
                scope = tuple(wanted)
            token = state.mint_installation_token(inst, scope)
            answer: dict[str, Any] = {
                "token": token.value,
                "expires_at": iso(token.expires_at),
                "permissions": dict(inst.permissions),
                "repository_selection": "selected" if scope is not None else inst.repository_selection,
            }
            if scope is not None:
                answer["repositories"] = [repo_json(state, reachable[i]) for i in scope]
            return json_response(answer, status=201)

    def installation_by_account(request: Request) -> Response:
        """``/orgs/{owner}/installation``, ``/users/{owner}/installation``, ``/repos/{owner}/{repo}/installation``."""
        with state.lock:
            inst = state.installation_for(app_of(request), request.params["owner"])
            if inst is None:
                raise HttpError(404, "Not Found")
            return json_response(installation_json(state, inst))

    def list_deliveries(request: Request) -> Response:
        """Newest first, ``cursor`` pagination with a ``Link: <...?cursor=X>; rel="next"`` header."""
        per_page = request.int_query("per_page", 30, 100)
        before = _decode_cursor(request.query.get("cursor"))
        with state.lock:
            mine = [d for d in reversed(state.deliveries) if d.app_id == app_of(request).id]
        if before is not None:
            mine = [d for d in mine if d.id < before]
        page, rest = mine[:per_page], mine[per_page:]
        headers = {}
        if rest:
            cursor = _encode_cursor(page[-1].id)
            next_url = with_query(f"{state.api_url}/app/hook/deliveries", per_page=per_page, cursor=cursor)
            headers["Link"] = f'<{next_url}>; rel="next"'
        return json_response([d.as_json() for d in page], headers=headers)

    def get_delivery(request: Request) -> Response:
        delivery = _delivery(request)
        body = delivery.as_json()
        body["request"] = {"headers": {"X-GitHub-Event": delivery.event}, "payload": None}
        body["url"] = delivery.url
        return json_response(body)

    def _delivery(request: Request) -> Delivery:
        ident = request.params["id"]
        with state.lock:
            found = next((d for d in state.deliveries if str(d.id) == ident and d.app_id == app_of(request).id), None)
        if found is None:
            raise HttpError(404, "Not Found")
        return found

    def redeliver_attempt(request: Request) -> Response:
        """Resend synchronously with the same GUID; GitHub answers 202 ``{}`` whatever the receiver did."""
        redeliver(state, app_of(request), _delivery(request))
        return json_response({}, status=202)

    router.add("GET", "/app", get_app, "app")
    router.add("GET", "/app/installations", list_installations, "app")
    router.add("GET", "/app/installations/{id}", get_installation, "app")
    router.add("POST", "/app/installations/{id}/access_tokens", create_token, "app")
    router.add("GET", "/orgs/{owner}/installation", installation_by_account, "app")
    router.add("GET", "/users/{owner}/installation", installation_by_account, "app")
    router.add("GET", "/repos/{owner}/{repo}/installation", installation_by_account, "app")
    router.add("GET", "/app/hook/deliveries", list_deliveries, "app")
    router.add("GET", "/app/hook/deliveries/{id}", get_delivery, "app")
    router.add("POST", "/app/hook/deliveries/{id}/attempts", redeliver_attempt, "app")


def _encode_cursor(delivery_id: int) -> str:
    return base64.urlsafe_b64encode(f"v1_{delivery_id}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        return int(text.removeprefix("v1_"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise HttpError(400, "Invalid cursor") from exc
