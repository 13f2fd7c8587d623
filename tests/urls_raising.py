"""The project's URLs plus one view that fails, for the 500 page test."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.urls import handler500, urlpatterns

__all__ = ["handler500", "urlpatterns"]


def _fails(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug in a view")


urlpatterns = [*urlpatterns, path("fails/", _fails)]
