"""People: every GitHub account seen in a team's data becomes a TeamMember, matched by ``github_id``.

Unknown people are created on sight so no PR or review is ever dropped. Logins, names and avatars are display
data and follow renames; ``is_bot`` is set from GitHub's account type when the member is first seen and is
afterwards the admins' call (``team_member_mark_bot``), so a later payload never undoes their decision.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from apps.metrics.models import MetricsRecompute, PRReview, PullRequest, RecomputeStatus, TeamMember
from apps.metrics.queueing import recompute_enqueue
from apps.metrics.services.recompute import RECOMPUTE_BATCH, pull_requests_recompute
from apps.metrics.types import GitHubPerson
from apps.teams.models import Team

RECOMPUTE_REQUEUE_AFTER = timedelta(minutes=10)

_EPOCH = datetime.min.replace(tzinfo=UTC)


def team_members_bulk_upsert(*, team: Team, people: Iterable[GitHubPerson | None]) -> dict[int, TeamMember]:
    """Make sure every person is stored and current; return them by ``github_id``.

    Known, unchanged people cost one read and no write, so a busy reviewer's row is not rewritten (and locked
    until commit) by every webhook that mentions them; new or renamed people are upserted. A person's login, name
    and avatar are the ones of the newest payload by GitHub's time (``GitHubPerson.seen_at``), not of the last to
    arrive: a delivery redelivered after a rename describes the account as it was, and changes nothing.
    """
    now = timezone.now()
    latest: dict[int, GitHubPerson] = {}
    for person in people:
        if person is not None:
            dated = person if person.seen_at is not None else replace(person, seen_at=now)
            latest[person.github_id] = _merge(latest.get(person.github_id), dated)
    if not latest:
        return {}
    stored = {m.github_id: m for m in TeamMember.objects.filter(team=team, github_id__in=list(latest))}
    stale = [p for gid, p in sorted(latest.items()) if gid not in stored or _newer_and_differs(stored[gid], p)]
    if stale:
        stored.update(_upsert(team, stale, stored))
    return stored


def _newer_and_differs(member: TeamMember, person: GitHubPerson) -> bool:
    if member.login_seen_at is not None and person.seen_at is not None and person.seen_at < member.login_seen_at:
        return False  # an older description of the account: what is stored is newer
    return (
        member.github_username != person.login
        or (bool(person.avatar_url) and member.avatar_url != person.avatar_url)
        or (bool(person.name) and member.display_name != person.name)
    )


def _upsert(team: Team, people: list[GitHubPerson], stored: dict[int, TeamMember]) -> dict[int, TeamMember]:
    """One ``INSERT … ON CONFLICT (team, github_id) DO UPDATE`` per set of non-empty display fields, so a payload
    that lacks an avatar or a name (a GraphQL actor, say) never blanks one a richer payload stored. Rows go in
    ``github_id`` order so concurrent upserts lock them in the same order.

    Known rows keep their stored ``is_bot`` and ``is_active`` (the admins' call): only display fields change.
    """
    groups: dict[tuple[bool, bool], list[TeamMember]] = {}
    now = timezone.now()
    for person in people:
        known = stored.get(person.github_id)
        groups.setdefault((bool(person.avatar_url), bool(person.name)), []).append(
            TeamMember(
                team=team,
                github_id=person.github_id,
                github_username=person.login,
                avatar_url=person.avatar_url or (known.avatar_url if known else ""),
                display_name=person.name or (known.display_name if known else ""),
                is_bot=known.is_bot if known else person.is_bot,
                is_active=known.is_active if known else True,
                login_seen_at=person.seen_at,
                created_at=known.created_at if known else now,
                updated_at=now,
            )
        )
    upserted: dict[int, TeamMember] = {}
    for (has_avatar, has_name), batch in groups.items():
        fields = ["github_username", "login_seen_at", "updated_at"]
        fields += ["avatar_url"] * has_avatar + ["display_name"] * has_name
        TeamMember.objects.bulk_create(
            batch, update_conflicts=True, unique_fields=["team", "github_id"], update_fields=fields
        )
        upserted.update((m.github_id, m) for m in batch)
    missing = [gid for gid, m in upserted.items() if m.pk is None]
    if missing:  # a database that cannot return ids from an upsert
        upserted.update((m.github_id, m) for m in TeamMember.objects.filter(team=team, github_id__in=missing))
    return upserted


def _merge(known: GitHubPerson | None, person: GitHubPerson) -> GitHubPerson:
    """Two descriptions of one account in a batch: the newer one's (by GitHub's time) fields, the other's where the
    newer one has none."""
    if known is None:
        return person
    older, newer = (known, person) if (known.seen_at or _EPOCH) <= (person.seen_at or _EPOCH) else (person, known)
    return GitHubPerson(
        github_id=person.github_id,
        login=newer.login or older.login,
        avatar_url=newer.avatar_url or older.avatar_url,
        is_bot=person.is_bot or known.is_bot,
        name=newer.name or older.name,
        seen_at=newer.seen_at,
    )


def team_member_set_visibility(*, team: Team, member_id: int, is_active: bool) -> TeamMember:
    """Hide a member from the dashboard (their PRs and reviewer row) or show them again; data is kept."""
    member = TeamMember.objects.for_team(team).get(pk=member_id)
    member.is_active = is_active
    member.save(update_fields=["is_active", "updated_at"])
    return member


@transaction.atomic
def team_member_mark_bot(*, team: Team, member_id: int, is_bot: bool) -> TeamMember:
    """Mark an account as a bot (or a human); every PR it authored or reviewed is recomputed by a worker.

    A bot's reviews never count as a review and a bot's PRs are left out by default, so the numbers change.
    The recomputation is queued after commit (``MetricsRecompute`` shows its progress), never run in the request.
    """
    _team_lock(team.pk)  # one decision to queue per team at a time
    member = TeamMember.objects.for_team(team).select_for_update().get(pk=member_id)
    member.is_bot = is_bot
    member.save(update_fields=["is_bot", "updated_at"])
    _recompute_schedule(team, member)
    return member


def _recompute_schedule(team: Team, member: TeamMember) -> None:
    """Coalesce: a member has at most one queued recompute (it reads the member's flag when it runs, so the latest
    decision wins), and a team at most one chain of turns, queued when the team had no unfinished recompute.
    An admin clicking Mark as bot / Undo forty times costs one recompute, not forty, and no other team waits on
    them. A chain silent for ``RECOMPUTE_REQUEUE_AFTER`` lost its message (a broker down): it is queued again."""
    unfinished = list(
        MetricsRecompute.objects.for_team(team)
        .exclude(status=RecomputeStatus.DONE)
        .values_list("member_id", "status", "updated_at")
    )
    if not any(member_id == member.pk and status == RecomputeStatus.QUEUED for member_id, status, _ in unfinished):
        MetricsRecompute.objects.create(team=team, member=member)
    latest = max((updated_at for *_, updated_at in unfinished), default=None)
    if latest is None or latest < timezone.now() - RECOMPUTE_REQUEUE_AFTER:
        transaction.on_commit(lambda: recompute_enqueue(team_id=team.pk))


def team_recompute_turn(*, team_id: int) -> bool:
    """Recompute one batch of the PRs of the team's oldest unfinished recompute, saving its progress for the people
    page; returns whether any recompute of the team is left (the task then queues the next turn at the back).

    A running recompute of a member who was changed again meanwhile (a newer one is queued) is dropped: the newer
    one recomputes all of their PRs with the final flag.
    """
    with transaction.atomic():
        job = _recompute_current(team_id)
        if job is not None:
            _recompute_batch(job)
    with transaction.atomic():  # decided under the team's lock, as ``team_member_mark_bot`` decides to queue
        _team_lock(team_id)
        return MetricsRecompute.objects.filter(team_id=team_id).exclude(status=RecomputeStatus.DONE).exists()


def _team_lock(team_id: int) -> None:
    Team.objects.select_for_update().only("pk").get(pk=team_id)


def _recompute_current(team_id: int) -> MetricsRecompute | None:
    jobs = list(
        MetricsRecompute.objects.filter(team_id=team_id)
        .exclude(status=RecomputeStatus.DONE)
        .select_related("team")
        .select_for_update(of=("self",))
        .order_by("pk")
    )
    for job in jobs:
        if not any(later.member_id == job.member_id and later.pk > job.pk for later in jobs):
            return job
        now = timezone.now()
        MetricsRecompute.objects.filter(pk=job.pk).update(status=RecomputeStatus.DONE, finished_at=now, updated_at=now)
    return None


def _recompute_batch(job: MetricsRecompute) -> None:
    team = job.team
    authored = PullRequest.objects.for_team(team).filter(author_id=job.member_id).values_list("pk", flat=True)
    reviewed = (
        PRReview.objects.for_team(team).filter(reviewer_id=job.member_id).values_list("pull_request_id", flat=True)
    )
    ids = sorted(set(authored) | set(reviewed))
    done = 0 if job.status == RecomputeStatus.QUEUED else job.done
    done += pull_requests_recompute(team=team, pull_request_ids=ids[done : done + RECOMPUTE_BATCH])
    now = timezone.now()
    finished = done >= len(ids)
    MetricsRecompute.objects.filter(pk=job.pk).update(
        status=RecomputeStatus.DONE if finished else RecomputeStatus.RUNNING,
        total=len(ids),
        done=min(done, len(ids)),
        finished_at=now if finished else None,
        updated_at=now,
    )
