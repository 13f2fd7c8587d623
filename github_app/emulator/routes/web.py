"""github.com pages the product sends a browser to: App manifest creation and the install page.

Plain HTML with stable ``id``/``name`` attributes so Playwright can drive it; no JavaScript needed.
"""

from __future__ import annotations

import json
import re
from html import escape
from typing import TYPE_CHECKING, Any

from ..crypto import generate_private_key_pem, public_key_pem, random_hex
from ..httpkit import HttpError, Request, Response, Router, html_response, json_response, redirect, with_query
from ..installations import installation_install
from ..models import App
from ..shapes import app_json
from .oauth import default_callback

if TYPE_CHECKING:
    from ..models import Account
    from ..server import EmulatorServer
    from ..state import State

PAGE = (
    '<!doctype html><html><head><meta charset="utf-8"><title>{title}</title></head>'
    "<body><h1>{title}</h1>{body}</body></html>"
)


def page(title: str, body: str, status: int = 200) -> Response:
    return html_response(PAGE.format(title=escape(title), body=body), status)


def register(router: Router, emulator: EmulatorServer) -> None:
    state = emulator.state

    def manifest_new(request: Request) -> Response:
        """Create an App from a posted ``manifest`` and redirect to its ``redirect_url`` with a code."""
        fields = {**request.query, **(request.fields() if request.method == "POST" else {})}
        org_login = request.params.get("org")
        if org_login:
            org = state.account(org_login)
            if org is None or not org.is_org:
                raise HttpError(404, f"Organization {org_login!r} not found")
        if not fields.get("manifest"):
            form = (
                '<form method="post" id="manifest-form"><textarea name="manifest" id="manifest" rows="12" cols="80">'
                '</textarea><button type="submit" id="create">Create GitHub App</button></form>'
            )
            return page("Create a GitHub App from a manifest", form)
        try:
            manifest = json.loads(fields["manifest"])
        except ValueError as exc:
            raise HttpError(422, "The manifest is not valid JSON") from exc
        if not isinstance(manifest, dict) or not manifest.get("name") or not manifest.get("redirect_url"):
            raise HttpError(422, "A manifest needs at least a name and a redirect_url")
        owner = org_login or fields.get("user") or emulator.config.owner
        app = _app_from_manifest(emulator, manifest, owner)
        code = state.issue_code("manifest", app.id)
        return redirect(with_query(manifest["redirect_url"], code=code, state=fields.get("state") or None), 302)

    def conversion(request: Request) -> Response:
        """``POST /app-manifests/{code}/conversions``: the new App's credentials, once (404 after)."""
        code = state.redeem_code(request.params["code"], "manifest")
        app = state.app(code.app_id) if code else None
        if app is None:
            raise HttpError(404, "Not Found")
        with state.lock:
            body = app_json(state, app)
        body.pop("installations_count", None)
        body.update(
            {"client_secret": app.client_secret, "webhook_secret": app.webhook_secret, "pem": app.private_key_pem}
        )
        return json_response(body, status=201)

    def install_new(request: Request) -> Response:
        """``/apps/<slug>/installations/new`` on github.com, ``/github-apps/<slug>/installations/new`` on GHES."""
        app = state.app_by_slug(request.params["slug"])
        if app is None or request.path.startswith("/github-apps/") != emulator.config.ghes:
            raise HttpError(404, "Not Found")
        if request.method == "POST":
            return _install_submit(emulator, app, request)
        return page(f"Install {app.name}", _install_form(emulator, app, request))

    def app_page(request: Request) -> Response:
        app = state.app_by_slug(request.params["slug"])
        if app is None:
            raise HttpError(404, "Not Found")
        link = f'<a id="install-link" href="/apps/{escape(app.slug)}/installations/new">Install</a>'
        return page(app.name, f"<p>{escape(app.description or 'A GitHub App')}</p>{link}")

    def avatar(request: Request) -> Response:
        """A tiny generated SVG, so pages showing avatars work offline."""
        ident = request.params["id"]
        account = next((a for a in state.accounts.values() if str(a.id) == ident), None)
        letter = escape((account.login if account else "?")[:1].upper())
        hue = (int(ident) * 47) % 360 if ident.isdigit() else 0
        svg = (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64" '
            f'fill="hsl({hue},55%,55%)"/><text x="32" y="42" font-size="30" text-anchor="middle" fill="#fff" '
            f'font-family="sans-serif">{letter}</text></svg>'
        )
        return Response(200, svg.encode(), {"Content-Type": "image/svg+xml", "Cache-Control": "max-age=3600"})

    def manage_installation(request: Request) -> Response:
        """``/settings/installations/{id}`` (personal) and ``/organizations/{org}/settings/installations/{id}``: the
        page where an owner changes an installation's repositories or uninstalls it (here: what it holds, and the
        install page to change it)."""
        with state.lock:
            inst = state.installations.get(int(request.params["id"])) if request.params["id"].isdigit() else None
            org = request.params.get("org")
            if inst is None or (org is not None and org.lower() != inst.account_login.lower()):
                raise HttpError(404, "Not Found")
            app = state.app(inst.app_id)
            repos = state.installation_repos(inst)
        if app is None:
            raise HttpError(404, "Not Found")
        listed = "".join(f"<li>{escape(r.full_name)}</li>" for r in repos) or "<li>none</li>"
        status = f"suspended by {escape(inst.suspended_by or '?')}" if inst.suspended_at else "active"
        body = (
            f"<p>Installed on <strong>{escape(inst.account_login)}</strong> by {escape(inst.sender_login)}; {status}."
            f"</p><p>Repository access: {'all repositories' if inst.repository_selection == 'all' else 'selected'}"
            f'</p><ul id="installation-repositories">{listed}</ul>'
            f'<p><a id="configure" href="/apps/{escape(app.slug)}/installations/new">Change repository access</a></p>'
        )
        return page(f"{app.name} · installation {inst.id}", body)

    def pull_request_page(request: Request) -> Response:
        """``/{owner}/{repo}/pull/{number}``: a PR's ``html_url``, so tformance's "Open on GitHub" links work."""
        with state.lock:
            repo = state.repo_by_full_name(f"{request.params['owner']}/{request.params['repo']}")
            number = request.params["number"]
            pr = state.pull_request(repo, int(number)) if repo is not None and number.isdigit() else None
        if repo is None or pr is None:
            raise HttpError(404, "Not Found")
        status = "merged" if pr.merged_at else pr.state
        body = (
            f"<p>{escape(repo.full_name)}#{pr.number} by {escape(pr.user)} · {status}</p><p>{escape(pr.body or '')}</p>"
        )
        return page(pr.title, body)

    def index(request: Request) -> Response:
        apps = "".join(f'<li><a href="/apps/{escape(a.slug)}">{escape(a.name)}</a></li>' for a in state.apps.values())
        return page("GitHub emulator", f"<ul>{apps}</ul><p>Control API: <code>/_emulator/state</code></p>")

    for path in ("/settings/apps/new", "/organizations/{org}/settings/apps/new"):
        router.add("GET", path, manifest_new, "web")
        router.add("POST", path, manifest_new, "web")
    router.add("POST", "/app-manifests/{code}/conversions", conversion, "public")
    router.add("GET", "/apps/{slug}/installations/new", install_new, "web")
    router.add("POST", "/apps/{slug}/installations/new", install_new, "web")
    router.add("GET", "/github-apps/{slug}/installations/new", install_new, "web")
    router.add("POST", "/github-apps/{slug}/installations/new", install_new, "web")
    router.add("GET", "/apps/{slug}", app_page, "web")
    router.add("GET", "/settings/installations/{id}", manage_installation, "web")
    router.add("GET", "/organizations/{org}/settings/installations/{id}", manage_installation, "web")
    router.add("GET", "/avatars/u/{id}", avatar, "web")
    router.add("GET", "/{owner}/{repo}/pull/{number}", pull_request_page, "web")
    router.add("GET", "/", index, "web")


def _app_from_manifest(emulator: EmulatorServer, manifest: dict[str, Any], owner: str) -> App:
    state = emulator.state
    hook = manifest.get("hook_attributes") or {}
    pem = generate_private_key_pem()
    with state.lock:
        state.account(owner) or state.add_account(owner)
        slug = state.unique_slug(re.sub(r"[^a-z0-9]+", "-", str(manifest["name"]).lower()).strip("-") or "app")
        return state.add_app(
            slug=slug,
            name=str(manifest["name"]),
            client_id="Iv23li" + random_hex(7),
            client_secret=random_hex(20),
            webhook_secret=random_hex(20),
            private_key_pem=pem,
            public_key_pem=public_key_pem(pem),
            owner_login=owner,
            webhook_url=str(hook.get("url") or "") if hook.get("active", True) else "",
            setup_url=_return_url(manifest),
            description=str(manifest.get("description") or ""),
            external_url=str(manifest.get("url") or ""),
            permissions=dict(manifest.get("default_permissions") or {"metadata": "read"}),
            events=list(manifest.get("default_events") or []),
            public=manifest.get("public") is True,  # GitHub creates a private App unless the manifest says public
            request_oauth_on_install=manifest.get("request_oauth_on_install") is True,
            setup_on_update=manifest.get("setup_on_update") is True and not manifest.get("request_oauth_on_install"),
        )


def _return_url(manifest: dict[str, Any]) -> str:
    """Where GitHub sends the user after installing: with ``request_oauth_on_install``, the first callback URL
    (the setup URL is unavailable then); otherwise the setup URL, if any."""
    callbacks = manifest.get("callback_urls") or []
    if manifest.get("request_oauth_on_install") and callbacks:
        return str(callbacks[0])
    return str(manifest.get("setup_url") or "")


def _first_choice(state: State, app: App, users: list[Account]) -> tuple[str, str]:
    """The (user, account) the page starts with: an organization the user owns where the App is not installed yet,
    else such a personal account, else the first pair. On github.com a signed-in user sees the accounts they may
    install on, those with the App already installed marked "Configure"; the emulator's page serves every user,
    so it starts with a pair whose first try installs instead of one already taken."""
    pairs = [(u.login, a) for u in users for a in state.installable_accounts(u.login)]
    free = [(user, a) for user, a in pairs if state.installation_for(app, a.login) is None]
    for user, account in sorted(free, key=lambda p: (not p[1].is_org, not state.repos_of(p[1].login), p[1].login)):
        return user, account.login
    return (pairs[0][0], pairs[0][1].login) if pairs else ("", "")


def _option(value: str, label: str, selected: bool) -> str:
    return f'<option value="{escape(value)}"{" selected" if selected else ""}>{escape(label)}</option>'


def _install_form(emulator: EmulatorServer, app: App, request: Request) -> str:
    """User select, account select, all/selected radio and one checkbox per repository, then "Install"."""
    state = emulator.state
    preselected = request.query.get("user")
    with state.lock:
        chosen = state.account(preselected)
        users = [chosen] if chosen is not None else sorted(state.humans(), key=lambda a: a.login)
        accounts = {a.login: a for u in users for a in state.installable_accounts(u.login)}
        repos = [r for login in sorted(accounts) for r in state.repos_of(login)]
        first_user, first_account = _first_choice(state, app, users)
        installed = {login for login in accounts if state.installation_for(app, login) is not None}
    user_opts = "".join(_option(u.login, u.login, u.login == first_user) for u in users)
    account_opts = "".join(
        _option(
            a.login,
            f"{a.login} ({'organization' if a.is_org else 'personal'}"
            f"{', App installed: configure' if a.login in installed else ''})",
            a.login == first_account,
        )
        for a in sorted(accounts.values(), key=lambda a: (not a.is_org, a.login))
    )
    boxes = "".join(
        f'<li><input type="checkbox" name="repositories" value="{escape(r.full_name)}" '
        f'id="repo-{escape(r.full_name.replace("/", "-"))}" data-owner="{escape(r.owner_login)}">'
        f'<label for="repo-{escape(r.full_name.replace("/", "-"))}">{escape(r.full_name)}</label></li>'
        for r in repos
    )
    return (
        f'<form method="post" id="install-form">'
        f'<input type="hidden" name="state" value="{escape(request.query.get("state", ""))}">'
        f'<p><label for="user">Signed in as</label> <select name="user" id="user">{user_opts}</select></p>'
        f'<p><label for="account">Install on</label> <select name="account" id="account">{account_opts}</select></p>'
        f'<p><input type="radio" name="repository_selection" id="repository_selection_all" value="all" checked>'
        f'<label for="repository_selection_all">All repositories</label></p>'
        f'<p><input type="radio" name="repository_selection" id="repository_selection_selected" value="selected">'
        f'<label for="repository_selection_selected">Only select repositories</label></p>'
        f'<ul id="repositories">{boxes}</ul><button type="submit" id="install">Install</button></form>'
    )


def _refused(request: Request, message: str, status: int) -> Response:
    """A refusal with a way back: the install page again, with the same ``state`` so tformance still accepts it."""
    state_value = request.form().get("state", [""])[0] or request.query.get("state", "")
    back = with_query(request.path, state=state_value or None)
    body = f'<p>{escape(message)}</p><p><a id="back" href="{escape(back)}">Choose another account</a></p>'
    return page("Cannot install", body, status)


def _install_submit(emulator: EmulatorServer, app: App, request: Request) -> Response:
    """Create/update the installation, send its events, then 303 to the App's setup URL with a user code."""
    state = emulator.state
    form = request.form()
    first = {k: v[0] for k, v in form.items()}
    user, account = first.get("user", ""), first.get("account", "")
    if not app.public and account.lower() != app.owner_login.lower():
        message = f"{app.name} is a private GitHub App: only its owner, {app.owner_login}, can install it."
        return _refused(request, message, 403)
    allowed = {a.login.lower() for a in state.installable_accounts(user)}
    if account.lower() not in allowed:
        org = state.account(account)
        if org is not None and org.is_org and org.role_of(user) == "member":
            installed = state.installation_for(app, org.login)
            if installed is not None:
                # GitHub offers "Configure" for an organization that already has the App: its installation's
                # settings page. Nothing is requested and the browser is not sent back to the App.
                return redirect(f"/organizations/{org.login}/settings/installations/{installed.id}", 303)
            # GitHub: a plain member cannot install on the organization, only ask its owners to (no installation).
            target = app.setup_url or default_callback(app.webhook_url)
            state_value = first.get("state") or request.query.get("state") or None
            return redirect(with_query(target, setup_action="request", state=state_value), 303)
        message = f"{user} cannot install on {account}: only the account itself or an owner of the organization can."
        return _refused(request, message, 403)
    selection = first.get("repository_selection", "all")
    chosen: list[str | int] = [r for r in form.get("repositories", []) if r.lower().startswith(account.lower() + "/")]
    if selection == "selected" and not chosen:
        return _refused(request, "Select at least one repository.", 422)
    inst, setup_action, _ = installation_install(state, app, account, "all" if selection == "all" else chosen, user)
    state_value = first.get("state") or request.query.get("state") or None
    if setup_action == "update" and (app.request_oauth_on_install or not (app.setup_on_update and app.setup_url)):
        return _stay_on_github(app, inst.id, account)
    if app.request_oauth_on_install:
        code = state.issue_code("oauth", app.id, user)
        target = app.setup_url or default_callback(app.webhook_url)
        return redirect(
            with_query(target, code=code, installation_id=inst.id, setup_action=setup_action, state=state_value), 303
        )
    if not app.setup_url:
        return _stay_on_github(app, inst.id, account)
    return redirect(
        with_query(app.setup_url, installation_id=inst.id, setup_action=setup_action, state=state_value), 303
    )


def _stay_on_github(app: App, installation_id: int, account: str) -> Response:
    """GitHub's documented dead end: an update with "request user authorization during installation" on (which
    makes "Redirect on update" unavailable), an update without "Redirect on update", or an App without a setup
    URL. The change is saved and the browser stays on GitHub; nothing is sent back to the App."""
    body = (
        f'<p id="saved">Saved: {escape(app.name)} on <strong>{escape(account)}</strong> (installation '
        f"{installation_id}) was updated.</p><p>GitHub does not return you to {escape(app.name)} after an update.</p>"
    )
    return page(f"{app.name} · installation {installation_id}", body)
