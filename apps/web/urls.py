"""Every page's address, in one place. Each part of the product keeps its own namespace (``users``, ``integrations``,
``teams``, ``web``, ``dashboard``): its global pages sit at the root, its team pages under ``/a/<team_slug>/``, and
``reverse("teams:members", kwargs={"team_slug": ...})`` works like any other name."""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path, register_converter, reverse_lazy
from django.urls.resolvers import URLPattern, URLResolver

from apps.integrations.views.prometheus import prometheus_metrics
from apps.integrations.views.webhook import github_webhook
from apps.users.forms import ThrottledPasswordResetForm
from apps.web import api_views, dashboard_views, deployments_views, figure_views, teams_views, users_views, views
from apps.web.integrations_views.callback import install_callback
from apps.web.integrations_views.registration import manifest_callback, register
from apps.web.integrations_views.repositories import (
    github_repositories,
    github_repositories_bulk,
    github_repository_drop,
    github_repository_import,
    github_repository_row,
    github_repository_track,
    github_repository_untrack,
)
from apps.web.integrations_views.team import (
    github_claim,
    github_claim_start,
    github_connect,
    github_disconnect,
    github_integration,
)

TEAM_PREFIX = "a/<slug:team_slug>/"


class IdConverter:
    """A database id in a URL: digits that fit PostgreSQL's bigint. A longer number is no match (404), never an
    integer the database refuses (which would be a 500)."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


# Registered before the first ``<id:…>`` route below is built: Django checks a route's converters when it is built.
register_converter(IdConverter, "id")


def _namespace(
    name: str,
    *,
    pages: Sequence[URLPattern | URLResolver] = (),
    team_pages: Sequence[URLPattern | URLResolver] = (),
) -> tuple[Sequence[URLPattern | URLResolver], str | None, str | None]:
    """One namespace holding a part's global pages and its team pages (under the team prefix)."""
    patterns: list[URLPattern | URLResolver] = list(pages)
    if team_pages:
        patterns.append(path(TEAM_PREFIX, include(list(team_pages))))
    return include((patterns, name))


# Accounts: sign-up, email verification, log in and out, passwords. Under ``/accounts/``.
users_pages = [
    path("signup/", users_views.signup, name="signup"),
    path("signup/sent/", users_views.signup_sent, name="signup_sent"),
    path("verify/resend/", users_views.verify_resend, name="verify_resend"),
    path("verify/<str:token>/", users_views.verify_email, name="verify_email"),
    path("set-password/", users_views.set_password, name="set_password"),
    path("login/", auth_views.LoginView.as_view(template_name="users/login.html"), name="login"),
    path("logout/", users_views.LogoutView.as_view(), name="logout"),
    path("password/", users_views.PasswordChangeView.as_view(), name="password_change"),
    path("email/", users_views.email_change, name="email_change"),
    path("email/confirm/<str:token>/", users_views.email_change_confirm_view, name="email_change_confirm"),
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(
            form_class=ThrottledPasswordResetForm,
            template_name="users/password_reset.html",
            email_template_name="users/password_reset_email.txt",
            success_url=reverse_lazy("users:password_reset_done"),
        ),
        name="password_reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="users/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        users_views.PasswordResetConfirmView.as_view(
            template_name="users/password_reset_confirm.html",
            success_url=reverse_lazy("users:password_reset_complete"),
        ),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(template_name="users/password_reset_complete.html"),
        name="password_reset_complete",
    ),
]

# GitHub: the webhook, the App's callbacks, the Prometheus scrape, and each team's integration pages.
integrations_pages = [
    # GitHub does not follow redirects, so the trailing slash is optional rather than redirected to.
    re_path(r"^webhooks/github/?$", github_webhook, name="github_webhook"),
    path("integrations/github/callback/", install_callback, name="github_callback"),
    path("metrics", prometheus_metrics, name="prometheus"),
    path("integrations/github/register/", register, name="github_register"),
    path("integrations/github/manifest/callback/", manifest_callback, name="github_manifest_callback"),
]

integrations_team_pages = [
    path("integrations/github/", github_integration, name="github"),
    path("integrations/github/connect/", github_connect, name="github_connect"),
    path("integrations/github/claim/start/", github_claim_start, name="github_claim_start"),
    path("integrations/github/claim/", github_claim, name="github_claim"),
    path("integrations/github/<id:installation_id>/disconnect/", github_disconnect, name="github_disconnect"),
    path("integrations/github/repos/", github_repositories, name="github_repositories"),
    path("integrations/github/repos/bulk/", github_repositories_bulk, name="github_repositories_bulk"),
    path("integrations/github/repos/<id:github_repo_id>/", github_repository_row, name="github_repository_row"),
    path(
        "integrations/github/repos/<id:github_repo_id>/track/", github_repository_track, name="github_repository_track"
    ),
    path(
        "integrations/github/repos/<id:github_repo_id>/untrack/",
        github_repository_untrack,
        name="github_repository_untrack",
    ),
    path(
        "integrations/github/repos/<id:github_repo_id>/import/",
        github_repository_import,
        name="github_repository_import",
    ),
    path("integrations/github/repos/<id:github_repo_id>/drop/", github_repository_drop, name="github_repository_drop"),
]

# Teams: creating one, accepting an invitation, and each team's members and settings.
teams_pages = [
    path("teams/new/", teams_views.create, name="create"),
    path("invitations/<uuid:token>/", teams_views.invitation_detail, name="invitation_accept"),
]

teams_team_pages = [
    path("team/members/", teams_views.members, name="members"),
    path("team/members/invite/", teams_views.invite, name="invite"),
    path("team/invitations/<id:invitation_id>/resend/", teams_views.invitation_resend_view, name="invitation_resend"),
    path("team/invitations/<id:invitation_id>/cancel/", teams_views.invitation_cancel_view, name="invitation_cancel"),
    path("team/members/<id:membership_id>/remove/", teams_views.member_remove, name="member_remove"),
    path("team/settings/", teams_views.team_settings, name="settings"),
    path("team/settings/name/", teams_views.rename, name="rename"),
    path("team/timezone/", teams_views.set_timezone, name="set_timezone"),
    path("team/production-rule/", teams_views.set_production_rule, name="set_production_rule"),
    path("team/settings/api-tokens/", teams_views.api_tokens, name="api_tokens"),
    path("team/settings/api-tokens/<id:token_id>/revoke/", teams_views.api_token_revoke_view, name="api_token_revoke"),
]

# The read API (docs/api.md): a team's figures as JSON, for a bearer token of that team. No team in the address.
api_pages = [
    path("api/v1/flow/", api_views.flow, name="flow"),
    path("api/v1/deployments/", api_views.deployments, name="deployments"),
]

# The site's own pages and each team's home.
web_pages = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
]

web_team_pages = [
    path("", views.team_home, name="team_home"),
    path("setup/", views.team_home_checklist, name="team_home_checklist"),
]

# The dashboard, under ``/a/<team_slug>/dashboard/``, and the deployments page beside it.
dashboard_team_pages = [
    path("dashboard/", dashboard_views.dashboard, name="index"),
    path("dashboard/pr/<id:pk>/", dashboard_views.pull_request_panel, name="pr_panel"),
    path("dashboard/figures/<slug:key>/", figure_views.figure_list, name="figure"),
    path("dashboard/figures/<slug:key>/csv/", figure_views.figure_csv, name="figure_csv"),
    path("dashboard/definitions/", figure_views.definitions, name="definitions"),
    path("dashboard/people/", dashboard_views.people, name="people"),
    path("deployments/", deployments_views.deployments, name="deployments"),
    path("deployments/csv/", deployments_views.deployments_csv, name="deployments_csv"),
    path("dashboard/people/<id:member_id>/visibility/", dashboard_views.member_visibility, name="member_visibility"),
    path("dashboard/people/<id:member_id>/bot/", dashboard_views.member_bot, name="member_bot"),
    # The pages were under ``metrics/`` before "metrics" came to name only the domain: bookmarks and shared links
    # of a figure keep working.
    path("metrics/", dashboard_views.old_address, {"rest": ""}),
    path("metrics/<path:rest>", dashboard_views.old_address),
]

urlpatterns = [
    path("accounts/", include((users_pages, "users"))),
    path("", _namespace("integrations", pages=integrations_pages, team_pages=integrations_team_pages)),
    path("", _namespace("teams", pages=teams_pages, team_pages=teams_team_pages)),
    path("", _namespace("web", pages=web_pages, team_pages=web_team_pages)),
    path("", _namespace("dashboard", team_pages=dashboard_team_pages)),
    path("", _namespace("api", pages=api_pages)),
]
