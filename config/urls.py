"""Root URLs. Team pages live under ``/a/<team_slug>/`` (see ``apps.web.routing``)."""

from django.contrib import admin
from django.urls import include, path

from apps.web import dashboard_urls, integrations_urls, teams_urls
from apps.web import urls as web_urls
from apps.web.routing import app_urls

handler500 = "apps.web.errors.server_error"  # 403 and 404 render templates/403.html and 404.html with the request

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("apps.web.users_urls")),
    path("", app_urls(integrations_urls)),
    path("", app_urls(teams_urls)),
    path("", app_urls(web_urls)),
    path("", app_urls(dashboard_urls)),
]
