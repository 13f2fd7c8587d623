"""Staff-only registration of the GitHub App from ``app-manifest.json`` (GitHub's manifest flow)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from apps.integrations.forms import AppRegistrationForm
from apps.integrations.github import GitHubError
from apps.integrations.services.registration import (
    RegistrationError,
    app_credentials_file_exists,
    app_register_from_manifest_code,
    credentials_path,
    manifest_for_base_url,
    manifest_registration_url,
)
from apps.integrations.services.state import StateInvalid, state_consume, state_issue
from apps.teams.decorators import AuthenticatedRequest

logger = logging.getLogger(__name__)

MANIFEST_STATE = "manifest"


def staff_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_staff:
            raise PermissionDenied("Only site staff can register the GitHub App.")
        return view(request, *args, **kwargs)

    return wrapped


@staff_required
@require_http_methods(["GET", "POST"])
def register(request: AuthenticatedRequest) -> HttpResponse:
    """GET: choose the owner. POST: a page whose form posts the manifest to GitHub with a single-use state."""
    form = AppRegistrationForm(request.POST or None)
    context: dict[str, Any] = {
        "form": form,
        "file_exists": app_credentials_file_exists(),
        "credentials_path": credentials_path(),
        "base_url": settings.BASE_URL,
    }
    if request.method == "POST" and form.is_valid():
        state = state_issue(purpose=MANIFEST_STATE, user_id=request.user.pk)
        context["github_url"] = manifest_registration_url(organization=form.cleaned_data["organization"], state=state)
        context["manifest_json"] = json.dumps(manifest_for_base_url(base_url=settings.BASE_URL))
    return render(request, "integrations/register.html", context)


@staff_required
@require_GET
def manifest_callback(request: AuthenticatedRequest) -> HttpResponse:
    """GitHub redirects here with ``code`` and our ``state`` after the App was created."""
    try:
        state_consume(purpose=MANIFEST_STATE, state=request.GET.get("state", ""), user_id=request.user.pk)
        result = app_register_from_manifest_code(code=request.GET.get("code", ""))
    except (StateInvalid, RegistrationError) as exc:
        return render(request, "integrations/register_done.html", {"problem": str(exc)}, status=400)
    except GitHubError as exc:
        logger.warning("manifest conversion failed: %s", type(exc).__name__)
        return render(
            request,
            "integrations/register_done.html",
            {"problem": f"GitHub did not convert the code ({exc}). The code is valid for one hour; start again."},
            status=502,
        )
    return render(
        request, "integrations/register_done.html", {"result": result, "credentials_path": credentials_path()}
    )
