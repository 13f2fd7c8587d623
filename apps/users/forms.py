"""Sign-up asks for an email, a password and the name of the user's first team."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import UserCreationForm

from apps.users.models import User


class SignupForm(UserCreationForm):
    team_name = forms.CharField(
        max_length=100,
        required=False,
        label="Team name",
        help_text="Your first team; you can invite others to it later.",
    )

    class Meta:
        model = User
        fields = ("email",)

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"]).lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("An account with this email already exists. Log in instead.")
        return email
