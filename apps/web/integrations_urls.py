from django.urls import path, re_path

from apps.integrations.views.prometheus import prometheus_metrics
from apps.integrations.views.webhook import github_webhook
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

app_name = "integrations"

urlpatterns = [
    # GitHub does not follow redirects, so the trailing slash is optional rather than redirected to.
    re_path(r"^webhooks/github/?$", github_webhook, name="github_webhook"),
    path("integrations/github/callback/", install_callback, name="github_callback"),
    path("metrics", prometheus_metrics, name="prometheus"),
    path("integrations/github/register/", register, name="github_register"),
    path("integrations/github/manifest/callback/", manifest_callback, name="github_manifest_callback"),
]

team_urlpatterns = [
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
