"""The Content-Security-Policy middleware: django-csp's, plus the origins of the GitHub this deployment talks to."""

from __future__ import annotations

from csp.middleware import CSPMiddleware as BaseCSPMiddleware
from csp.middleware import PolicyParts
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase


def _origin(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


class CSPMiddleware(BaseCSPMiddleware):
    """``CONTENT_SECURITY_POLICY`` with GitHub's origins added, read from the settings on each response.

    Avatars come from GitHub's web or API origin on GitHub Enterprise (and the emulator); the App registration
    form posts to GitHub, and connecting a team redirects a form's POST there. Reading the settings per response
    keeps the policy right wherever ``GITHUB_WEB_URL`` / ``GITHUB_API_URL`` point.
    """

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if not report_only:
            web, api = _origin(settings.GITHUB_WEB_URL), _origin(settings.GITHUB_API_URL)
            github = {"img-src": sorted({web, api}), "form-action": [web]}
            parts.update = {**github, **(parts.update or {})}
        return parts
