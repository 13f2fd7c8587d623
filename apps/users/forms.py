"""Sign-up asks for an email, a password and the name of the user's first team; password reset by email."""

from __future__ import annotations

import unicodedata
from typing import Any

from django import forms
from django.contrib.auth.forms import PasswordResetForm, UserCreationForm
from django.core.exceptions import ValidationError

from apps.users.models import User
from apps.users.throttling import account_email_allowed


def validate_team_name(name: str) -> None:
    """A team's name goes into email subjects and page titles: one line of printable text, or an email header
    could be split (Django refuses to send one with a line break; an invitation would answer 500)."""
    if any(unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp") for char in name):
        raise ValidationError("A team name is one line of text: no line breaks, tabs or control characters.")


class TeamNameField(forms.CharField):
    """A team's name, here because sign-up names the first team (and accounts sit below teams)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 100)
        super().__init__(validators=[validate_team_name], **kwargs)


class SignupForm(UserCreationForm[User]):
    """Never says whether the address has an account (the sign-up service answers the same either way)."""

    team_name = TeamNameField(
        required=False,
        label="Team name",
        help_text="Your first team; you can invite others to it later.",
    )

    class Meta:
        model = User
        fields = ("email",)

    def clean_email(self) -> str:
        return User.objects.normalize_email(self.cleaned_data["email"]).lower()

    def validate_unique(self) -> None:
        """Skipped: a taken address must not show up as a form error (that would tell who has an account)."""


class ThrottledPasswordResetForm(PasswordResetForm):
    """Django's reset form (the same "email sent" answer for every address) that sends one address at most
    ``ACCOUNT_EMAILS_PER_ADDRESS`` reset emails an hour."""

    def send_mail(self, *args: Any, **kwargs: Any) -> None:
        to_email = args[4] if len(args) > 4 else kwargs["to_email"]
        if account_email_allowed(purpose="password-reset", email=to_email):
            super().send_mail(*args, **kwargs)
