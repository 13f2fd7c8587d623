"""GitHub's ids passed 2^31 (pull requests, reviews, deliveries): every column holding one is a 64-bit integer."""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.db import models

from apps.metrics.models import PullRequest
from apps.metrics.tests.factories import PRReviewFactory, PullRequestFactory

pytestmark = pytest.mark.django_db

GITHUB_ID = re.compile(r"^(github_\w*id|\w+_github_id|installation_id|account_id|hook_id|target_id)$")


def test_every_github_id_column_is_a_big_integer():
    columns = [
        (model._meta.label, field.name, type(field).__name__)
        for model in apps.get_models()
        if model._meta.app_label in {"metrics", "integrations", "teams", "users"}
        for field in model._meta.concrete_fields
        if GITHUB_ID.match(field.name) and not isinstance(field, models.ForeignKey)
    ]
    assert len(columns) >= 8, columns  # the pattern still finds the id columns
    assert [c for c in columns if c[2] != "BigIntegerField"] == []


def test_ids_past_2_31_round_trip(team):
    pr = PullRequestFactory(team=team, github_pr_id=2_362_920_014, github_repo_id=2**33)
    PRReviewFactory(team=team, pull_request=pr, github_review_id=2**62)
    stored = PullRequest.objects.get(github_pr_id=2_362_920_014)
    assert (stored.github_repo_id, stored.reviews.get().github_review_id) == (2**33, 2**62)
