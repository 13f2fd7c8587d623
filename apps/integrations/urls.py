from django.urls import re_path

from apps.integrations.views.webhook import github_webhook

app_name = "integrations"

urlpatterns = [
    # GitHub does not follow redirects, so the trailing slash is optional rather than redirected to.
    re_path(r"^webhooks/github/?$", github_webhook, name="github_webhook"),
]
