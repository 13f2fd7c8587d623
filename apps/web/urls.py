from django.urls import path

from apps.web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
]

team_urlpatterns = [
    path("", views.team_home, name="team_home"),
    path("setup/", views.team_home_checklist, name="team_home_checklist"),
]
