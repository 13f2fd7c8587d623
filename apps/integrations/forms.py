"""Forms of the GitHub integration pages."""

from __future__ import annotations

from django import forms
from django.core.validators import RegexValidator


class AppRegistrationForm(forms.Form):
    organization = forms.CharField(
        required=False,
        max_length=39,
        validators=[RegexValidator(r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$", "Not a valid GitHub login.")],
        help_text="Leave empty to create the App on your personal GitHub account.",
    )
