"""Root URLs: the admin, and every page of the product (``apps.web.urls``; team pages under ``/a/<team_slug>/``)."""

from django.contrib import admin
from django.urls import include, path

handler500 = "apps.web.errors.server_error"  # 403 and 404 render templates/403.html and 404.html with the request

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("apps.web.urls")),
]
