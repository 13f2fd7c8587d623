"""Metrics pages, all under ``/a/<team_slug>/metrics/``."""

from django.urls import path

from apps.web import figure_views
from apps.web import metrics_views as views

app_name = "metrics"

team_urlpatterns = [
    path("metrics/", views.dashboard, name="dashboard"),
    path("metrics/pr/<id:pk>/", views.pull_request_panel, name="pr_panel"),
    path("metrics/figures/<slug:key>/", figure_views.figure_list, name="figure"),
    path("metrics/figures/<slug:key>/csv/", figure_views.figure_csv, name="figure_csv"),
    path("metrics/definitions/", figure_views.definitions, name="definitions"),
    path("metrics/people/", views.people, name="people"),
    path("metrics/people/<id:member_id>/visibility/", views.member_visibility, name="member_visibility"),
    path("metrics/people/<id:member_id>/bot/", views.member_bot, name="member_bot"),
]
