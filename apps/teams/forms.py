from django import forms

from apps.teams.models import Role


class TeamForm(forms.Form):
    name = forms.CharField(max_length=100)


class InvitationForm(forms.Form):
    email = forms.EmailField()
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MEMBER)
