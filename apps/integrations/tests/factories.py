"""Factories for the integration rows tests stand on: installations, the repositories they reach, tracked
repositories and stored deliveries.

Only what the database requires to be unique is made up (ids, names from them); everything else keeps the model's
default, so a scenario states what it depends on (``team=``, ``account_login=``, ``status=``…) and nothing more.
"""

from __future__ import annotations

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from apps.integrations.models import GitHubAppInstallation, InstallationRepository, TrackedRepository, WebhookDelivery


class InstallationFactory(DjangoModelFactory):
    """An active installation linked to no team (pass ``team=`` for a connected one)."""

    class Meta:
        model = GitHubAppInstallation

    installation_id = factory.Sequence(lambda n: 900_000 + n)


class InstallationRepositoryFactory(DjangoModelFactory):
    """A repository the installation reaches (``removed_at=`` for one it lost)."""

    class Meta:
        model = InstallationRepository

    installation = factory.SubFactory(InstallationFactory)
    github_repo_id = factory.Sequence(lambda n: 700_000 + n)
    full_name = factory.LazyAttribute(lambda r: f"{r.installation.account_login or 'acme'}/repo-{r.github_repo_id}")


class TrackedRepositoryFactory(DjangoModelFactory):
    """A repository a team tracks; the team defaults to the installation's."""

    class Meta:
        model = TrackedRepository

    installation = factory.SubFactory(InstallationFactory)
    team = factory.LazyAttribute(lambda r: r.installation.team)
    github_repo_id = factory.Sequence(lambda n: 700_000 + n)
    full_name = factory.LazyAttribute(lambda r: f"acme/repo-{r.github_repo_id}")


class DeliveryFactory(DjangoModelFactory):
    """A stored, pending delivery as the webhook endpoint records it (a ``ping`` unless told otherwise)."""

    class Meta:
        model = WebhookDelivery

    delivery_id = factory.Sequence(lambda n: f"00000000-0000-0000-0000-{n:012d}")
    event = "ping"
    received_at = factory.LazyFunction(timezone.now)
    payload = "{}"
