import regex
from django import forms

from apps.teams.models import Role, timezone_choices
from apps.users.forms import TeamNameField


class TeamForm(forms.Form):
    name = TeamNameField()


class TeamTimezoneForm(forms.Form):
    timezone = forms.ChoiceField(choices=timezone_choices, help_text="Dates and weekly charts use this time zone.")


class ProductionRuleForm(forms.Form):
    production_environment_rule = forms.CharField(
        label="Production environments",
        max_length=200,
        help_text="A regular expression matched against each deployment environment's name, ignoring case.",
    )

    def clean_production_environment_rule(self) -> str:
        """The rule must compile, so a delivery never meets a rule it cannot apply."""
        rule: str = self.cleaned_data["production_environment_rule"]
        try:
            regex.compile(rule, regex.IGNORECASE)  # the engine the rule runs on (apps.metrics.services.deployments)
        except regex.error as exc:
            raise forms.ValidationError(f"This is not a valid regular expression: {exc}.") from exc
        return rule


class InvitationForm(forms.Form):
    email = forms.EmailField()
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MEMBER)


class APITokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What will use it, e.g. “weekly report script”.")

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Name the token after what will use it.")
        return name
