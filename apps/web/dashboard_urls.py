"""Dashboard pages, all under ``/a/<team_slug>/dashboard/``."""

from django.urls import path

from apps.web import dashboard_views as views
from apps.web import figure_views

app_name = "dashboard"

team_urlpatterns = [
    path("dashboard/", views.dashboard, name="index"),
    path("dashboard/pr/<id:pk>/", views.pull_request_panel, name="pr_panel"),
    path("dashboard/figures/<slug:key>/", figure_views.figure_list, name="figure"),
    path("dashboard/figures/<slug:key>/csv/", figure_views.figure_csv, name="figure_csv"),
    path("dashboard/definitions/", figure_views.definitions, name="definitions"),
    path("dashboard/people/", views.people, name="people"),
    path("dashboard/people/<id:member_id>/visibility/", views.member_visibility, name="member_visibility"),
    path("dashboard/people/<id:member_id>/bot/", views.member_bot, name="member_bot"),
    # The pages were under ``metrics/`` before "metrics" came to name only the domain: bookmarks and shared links
    # of a figure keep working.
    path("metrics/", views.old_address, {"rest": ""}),
    path("metrics/<path:rest>", views.old_address),
]
