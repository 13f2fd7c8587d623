"""Team URLs. ``urlpatterns`` are global; ``team_urlpatterns`` are mounted under ``/a/<team_slug>/``."""

from django.urls import path

from apps.web import teams_views as views

app_name = "teams"

urlpatterns = [
    path("teams/new/", views.create, name="create"),
    path("invitations/<uuid:token>/", views.invitation_detail, name="invitation_accept"),
]

team_urlpatterns = [
    path("team/members/", views.members, name="members"),
    path("team/members/invite/", views.invite, name="invite"),
    path("team/invitations/<id:invitation_id>/resend/", views.invitation_resend_view, name="invitation_resend"),
    path("team/invitations/<id:invitation_id>/cancel/", views.invitation_cancel_view, name="invitation_cancel"),
    path("team/members/<id:membership_id>/remove/", views.member_remove, name="member_remove"),
    path("team/settings/", views.team_settings, name="settings"),
    path("team/settings/name/", views.rename, name="rename"),
    path("team/timezone/", views.set_timezone, name="set_timezone"),
]
