from django.urls import path, re_path

from apps.integrations.views.callback import install_callback
from apps.integrations.views.registration import manifest_callback, register
from apps.integrations.views.team import github_connect, github_disconnect, github_integration
from apps.integrations.views.webhook import github_webhook

app_name = "integrations"

urlpatterns = [
    # GitHub does not follow redirects, so the trailing slash is optional rather than redirected to.
    re_path(r"^webhooks/github/?$", github_webhook, name="github_webhook"),
    path("integrations/github/callback/", install_callback, name="github_callback"),
    path("integrations/github/register/", register, name="github_register"),
    path("integrations/github/manifest/callback/", manifest_callback, name="github_manifest_callback"),
]

team_urlpatterns = [
    path("integrations/github/", github_integration, name="github"),
    path("integrations/github/connect/", github_connect, name="github_connect"),
    path("integrations/github/<int:installation_id>/disconnect/", github_disconnect, name="github_disconnect"),
]
