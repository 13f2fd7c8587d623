"""Factories for the integration rows tests stand on: installations, the repositories they reach, tracked
repositories and stored deliveries.

Only what the database requires to be unique is made up (ids, names from them); everything else keeps the model's
default, so a scenario states what it depends on (``team=``, ``account_login=``, ``status=``…) and nothing more.
"""

from __future__ import annotations

from collections.abc import Iterable

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from apps.integrations.models import (
    GitHubAppInstallation,
    InstallationRepository,
    TrackedRepository,
    WebhookDelivery,
    WebhookPayload,
)


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
    """A stored, pending delivery as the webhook endpoint records it (a ``ping`` unless told otherwise), with its
    body (``payload__pruned=True``: none, as after pruning)."""

    class Meta:
        model = WebhookDelivery
        skip_postgeneration_save = True

    delivery_id = factory.Sequence(lambda n: f"00000000-0000-0000-0000-{n:012d}")
    event = "ping"
    received_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def payload(delivery: WebhookDelivery, create: bool, extracted: str | None, **kwargs: object) -> None:
        body = None if kwargs.get("pruned") else ("{}" if extracted is None else extracted)
        if create and body is not None:
            WebhookPayload.objects.create(delivery=delivery, received_at=delivery.received_at, body=body)


def deliveries_bulk_stored(deliveries: Iterable[WebhookDelivery], *, body: str | None = "{}") -> list[WebhookDelivery]:
    """Many deliveries at once, each with ``body`` stored as its payload (None: none), as the endpoint stores them."""
    created = WebhookDelivery.objects.bulk_create(deliveries)
    if body is not None:
        WebhookPayload.objects.bulk_create(
            WebhookPayload(delivery=d, received_at=d.received_at, body=body) for d in created
        )
    return created
