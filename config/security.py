"""The Content-Security-Policy middleware: django-csp's, plus the origins of the GitHub this deployment talks to."""

from __future__ import annotations

import http.client
from dataclasses import asdict
from typing import Any

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject, PolicyParts
from csp.middleware import CSPMiddleware as BaseCSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponseBase

# Per-response attributes django-csp's decorators set; a response carrying any of them gets its own policy.
_RESPONSE_OVERRIDES = tuple(f"_csp_{kind}{ro}" for kind in ("config", "update", "replace") for ro in ("", "_ro"))
_POLICY_SETTINGS = {
    "CONTENT_SECURITY_POLICY",
    "CONTENT_SECURITY_POLICY_REPORT_ONLY",
    "GITHUB_WEB_URL",
    "GITHUB_API_URL",
}
# (header, policy, exemption attribute, setting holding EXCLUDE_URL_PREFIXES), built once per settings.
_default_headers: list[tuple[str, str, str, str]] = []


@receiver(setting_changed)
def _forget_default_policy(*, setting: str, **kwargs: Any) -> None:
    if setting in _POLICY_SETTINGS:
        _default_headers.clear()


def _origin(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


class CSPMiddleware(BaseCSPMiddleware):
    """``CONTENT_SECURITY_POLICY`` with GitHub's origins added, built once rather than for every response.

    Avatars come from GitHub's web or API origin on GitHub Enterprise (and the emulator); the App registration
    form posts to GitHub, and connecting a team redirects a form's POST there. The policy depends only on the
    settings unless a view asked for a nonce or its own policy, so it is built once per process (again when a
    setting it reads changes): django-csp builds it on every response, work repeated for every webhook delivery.
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

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if getattr(request, "_csp_nonce", None) is not None or any(hasattr(response, a) for a in _RESPONSE_OVERRIDES):
            return super().process_response(request, response)
        if settings.DEBUG and response.status_code in (http.client.INTERNAL_SERVER_ERROR, http.client.NOT_FOUND):
            return response  # Django's debug pages carry inline style, as django-csp allows
        if not _default_headers:
            _default_headers.extend(
                [
                    (HEADER, self._default_policy(request, response, False), "_csp_exempt", "CONTENT_SECURITY_POLICY"),
                    (
                        HEADER_REPORT_ONLY,
                        self._default_policy(request, response, True),
                        "_csp_exempt_ro",
                        "CONTENT_SECURITY_POLICY_REPORT_ONLY",
                    ),
                ]
            )
        for header, policy, exemption, setting in _default_headers:
            excluded = tuple((getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES") or ())
            wanted = policy and not getattr(response, exemption, False) and not request.path_info.startswith(excluded)
            if wanted and header not in response:
                response[header] = policy
        # As django-csp does: a nonce asked for after the header is written would not be in it.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)  # type: ignore[attr-defined]
        return response

    def _default_policy(self, request: HttpRequest, response: HttpResponseBase, report_only: bool) -> str:
        return build_policy(**asdict(self.get_policy_parts(request, response, report_only)), report_only=report_only)
