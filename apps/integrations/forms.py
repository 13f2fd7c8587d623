"""Forms of the GitHub integration pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import RegexValidator


class AppRegistrationForm(forms.Form):
    organization = forms.CharField(
        required=False,
        max_length=39,
        validators=[RegexValidator(r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$", "Not a valid GitHub login.")],
        help_text="Leave empty to create the App on your personal GitHub account.",
    )


class RepositoryFilterForm(forms.Form):
    """Search and filter of the repository page (GET)."""

    q = forms.CharField(required=False, max_length=200, label="Search")
    show = forms.ChoiceField(
        required=False,
        choices=[("all", "All"), ("tracked", "Tracked"), ("untracked", "Not tracked"), ("archived", "Archived")],
    )

    def cleaned(self) -> tuple[str, str]:
        return self.cleaned_data.get("q") or "", self.cleaned_data.get("show") or "all"


class RepositoryBulkForm(forms.Form):
    """Track or untrack the checked repositories (by ``github_repo_id``)."""

    action = forms.ChoiceField(choices=[("track", "Track"), ("untrack", "Untrack")])
    repositories = forms.TypedMultipleChoiceField(coerce=int, choices=(), required=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Any id is accepted here; the services only act on repositories the team's installations reach.
        self.fields["repositories"].valid_value = lambda value: str(value).isdigit()  # type: ignore[attr-defined]
