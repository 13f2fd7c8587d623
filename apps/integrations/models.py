"""GitHub App installations, the repositories they reach, tracked repositories and webhook deliveries."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Subquery

from apps.teams.models import BaseTeamModel, Team


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PROCESSING = "processing", "Processing"
    PROCESSED = "processed", "Processed"
    IGNORED = "ignored", "Ignored"
    FAILED = "failed", "Failed"


class WebhookDeliveryQuerySet(models.QuerySet["WebhookDelivery"]):
    def with_payload(self) -> WebhookDeliveryQuerySet:
        """Each delivery with its stored body as ``payload`` (None once pruned), in the same query: a subquery on
        the payload's primary key (delivery, received_at), which on PostgreSQL reads the one day's partition."""
        return self.annotate(payload=Subquery(_payload_of_outer().values("body")[:1]))

    def payload_kept(self) -> WebhookDeliveryQuerySet:
        """Only the deliveries whose body is still stored (reprocessing needs it)."""
        return self.filter(Exists(_payload_of_outer()))


def _payload_of_outer() -> models.QuerySet[WebhookPayload]:
    return WebhookPayload.objects.filter(delivery=OuterRef("pk"), received_at=OuterRef("received_at"))


class WebhookDelivery(models.Model):
    """One delivery GitHub sent to the app-level webhook, stored before it is answered.

    Not team-owned: a delivery arrives before we know (or even have) a team for its installation.
    This row is the audit trail (who sent what, when, and what became of it), deleted after the delivery
    retention period; the raw body is kept apart, in ``WebhookPayload``, and dropped sooner, after the payload
    retention period (``services.lifecycle``). Read it with ``with_payload()`` or ``payload_stored()``.

    Indexes are only those a query uses, since every one is written on each delivery's INSERT and status
    UPDATE: the unique constraint on ``delivery_id`` (a constraint, not ``unique=True``, which on PostgreSQL also
    builds a ``varchar_pattern_ops`` index for LIKE that nothing runs), pending rows by age (a partial index: the
    drain and the sweeper read only these, and it stays as small as the backlog), failed rows by age (the admin's
    filter and the reprocess command; written only when a delivery fails), ``received_at`` (the admin's
    newest-first list, the reprocess command's date range, expiry by age, the kept bodies of a pruned day), and an
    installation's deliveries by age (the freshness line's newest delivery).
    """

    delivery_id = models.CharField(max_length=64, help_text="X-GitHub-Delivery")
    hook_id = models.BigIntegerField(null=True, blank=True, help_text="X-GitHub-Hook-ID")
    event = models.CharField(max_length=64, help_text="X-GitHub-Event")
    action = models.CharField(max_length=64, blank=True)
    installation_id = models.BigIntegerField(null=True, blank=True)
    repository_id = models.BigIntegerField(null=True, blank=True, help_text="repository.id of the payload")
    target_id = models.BigIntegerField(null=True, blank=True, help_text="X-GitHub-Hook-Installation-Target-ID")
    target_type = models.CharField(max_length=32, blank=True, help_text="X-GitHub-Hook-Installation-Target-Type")
    received_at = models.DateTimeField()
    status = models.CharField(max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    reason = models.TextField(blank=True, help_text="Why it was ignored, or the last error.")
    attempts = models.PositiveIntegerField(default=0)
    processed_at = models.DateTimeField(null=True, blank=True)

    objects = WebhookDeliveryQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["delivery_id"], name="unique_delivery_id")]
        indexes = [
            models.Index(
                fields=["received_at"], name="delivery_pending_idx", condition=models.Q(status=DeliveryStatus.PENDING)
            ),
            models.Index(
                fields=["received_at"], name="delivery_failed_idx", condition=models.Q(status=DeliveryStatus.FAILED)
            ),
            models.Index(fields=["received_at"], name="delivery_received_idx"),
            # A repository's newest delivery (freshness): one backward probe; installation events have no repository.
            models.Index(fields=["installation_id", "repository_id", "received_at"], name="delivery_repo_recv_idx"),
        ]
        ordering = ("-received_at",)
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        label = f"{self.event}.{self.action}" if self.action else self.event
        return f"{label} {self.delivery_id}"

    def payload_stored(self) -> str | None:
        """The raw body as received, or None once it was pruned. Read from the ``with_payload()`` annotation when
        the row came with it (no query), else with one query on the payload's primary key."""
        if "payload" in self.__dict__:
            payload: str | None = self.__dict__["payload"]
            return payload
        return (
            WebhookPayload.objects.filter(delivery_id=self.pk, received_at=self.received_at)
            .values_list("body", flat=True)
            .first()
        )


class WebhookPayload(models.Model):
    """The raw body of one delivery, exactly as received, kept apart from its audit row so that it can be dropped
    a day at a time.

    On PostgreSQL the table is partitioned by range of ``received_at`` (copied from the delivery), one partition
    per UTC day and a DEFAULT partition for a row no day partition takes; ``body`` is compressed with lz4
    (migration 0011). The primary key is (delivery, received_at) because a partitioned table's unique keys must
    hold the partition key. Pruning a day is then ``DROP TABLE`` of its partition: no UPDATE, no dead tuples, and
    the space goes back to the system at once (``services.lifecycle``, ``services.payload_partitions``). On
    SQLite it is a plain table. No foreign key constraint in the database: a delete of an audit row would
    otherwise look into every partition; ``deliveries_expire`` deletes the payloads of the rows it deletes.
    """

    pk = models.CompositePrimaryKey("delivery", "received_at")
    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    received_at = models.DateTimeField()
    body = models.TextField()

    def __str__(self) -> str:
        return f"payload of delivery {self.delivery_id}"


class InstallationStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    DELETED = "deleted", "Deleted"


class GitHubAppInstallation(models.Model):
    """Our mirror of one installation of the App on a GitHub account.

    ``team`` stays empty until a team admin proves, through the install callback, that their GitHub account owns
    the installation (the account itself, an organization owner, or the installer); an installation belongs to at
    most one team.
    """

    installation_id = models.BigIntegerField(unique=True)
    team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="github_installations"
    )
    account_id = models.BigIntegerField(null=True, blank=True)
    account_login = models.CharField(max_length=255, blank=True)
    account_type = models.CharField(max_length=32, blank=True)
    account_avatar_url = models.URLField(max_length=500, blank=True)
    repository_selection = models.CharField(max_length=16, blank=True)
    permissions = models.JSONField(default=dict, blank=True)
    events = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=12, choices=InstallationStatus.choices, default=InstallationStatus.ACTIVE)
    suspended_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    installed_by_github_id = models.BigIntegerField(
        null=True, blank=True, help_text="GitHub user id of the installer: the sender of installation.created."
    )
    installed_by_login = models.CharField(max_length=255, blank=True)
    linked_at = models.DateTimeField(null=True, blank=True)
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reconcile_error = models.TextField(
        blank=True, help_text="Why GitHub's answer could not be applied at the last reconciliation (empty: it was)."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("account_login",)

    def __str__(self) -> str:
        return f"{self.account_login or 'installation'} ({self.installation_id})"

    @property
    def is_active(self) -> bool:
        return self.status == InstallationStatus.ACTIVE

    @property
    def settings_url(self) -> str:
        """Where an account owner manages this installation on GitHub (repositories, permissions, uninstall)."""
        path = f"settings/installations/{self.installation_id}"
        if self.account_type == "Organization":
            return f"{settings.GITHUB_WEB_URL}/organizations/{self.account_login}/{path}"
        return f"{settings.GITHUB_WEB_URL}/{path}"


class InstallationRepository(models.Model):
    """A repository the installation can reach on GitHub: the list admins pick tracked repositories from."""

    installation = models.ForeignKey(GitHubAppInstallation, on_delete=models.CASCADE, related_name="repositories")
    github_repo_id = models.BigIntegerField()
    full_name = models.CharField(max_length=255)
    private = models.BooleanField(default=False)
    archived = models.BooleanField(default=False)
    removed_at = models.DateTimeField(null=True, blank=True, help_text="Access removed from the installation.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["installation", "github_repo_id"], name="unique_installation_repository")
        ]
        # Repository events (renamed, transferred, deleted, privatized…) name the repository by id alone.
        indexes = [models.Index(fields=["github_repo_id"], name="installation_repo_github_idx")]
        ordering = ("full_name",)
        verbose_name_plural = "installation repositories"

    def __str__(self) -> str:
        return self.full_name


class ImportStatus(models.TextChoices):
    IDLE = "idle", "Idle"
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Importing"
    WAITING = "waiting", "Waiting for GitHub"
    FAILED = "failed", "Failed"


class ImportKind(models.TextChoices):
    HISTORY = "history", "History import"
    CATCH_UP = "catch_up", "Catch-up"


def import_heartbeat_cutoff(now: datetime) -> datetime:
    """A running import that has not beaten since this moment is presumed dead (its worker died or its message was
    lost): it no longer blocks a new import, and a new worker may take over its claim."""
    return now - timedelta(seconds=settings.IMPORT_LOCK_SECONDS)


class InactiveReason(models.TextChoices):
    """Why a tracking stopped (``TrackedRepository.inactive_reason``; empty while it is active). The pages word each
    (``templates/integrations/repositories_row.html``); the code decides by the value, never by its label.

    ``ACCESS_REMOVED`` and ``MOVED`` are GitHub's doing, not an admin's: the tracking resumes when access is back.
    A repository deleted on GitHub can no longer be reached by an event or an import, but the figures of the periods
    it was part of stay as they were (its history still counts) until an admin drops it from the figures.
    """

    UNTRACKED = "untracked", "Untracked"
    DISCONNECTED = "disconnected", "GitHub disconnected"
    ACCESS_REMOVED = "access_removed", "Access removed"
    MOVED = "moved", "Moved to another organization"
    REPOSITORY_DELETED = "repository_deleted", "Repository deleted"
    REPOSITORY_DROPPED = "repository_dropped", "Repository deleted, dropped from the figures"


class ImportErrorKind(models.TextChoices):
    """Why an import waits or failed (``TrackedRepository.import_error_kind``; empty when it does neither). The pages
    word each (``templates/integrations/_import_error.html``); ``import_error`` keeps GitHub's own words when the kind
    needs them. The freshness notices decide by the kind: a rate limit resumes by itself, refused credentials are
    said once for their installation."""

    RATE_LIMITED = "rate_limited", "GitHub's rate limit is used up"
    RATE_RESERVED = "rate_reserved", "Paused to leave GitHub's rate limit for webhooks"
    GITHUB_FAILING = "github_failing", "GitHub keeps failing to answer"
    INSTALLATION_INACTIVE = "installation_inactive", "Installation suspended or removed"
    CREDENTIALS_REFUSED = "credentials_refused", "GitHub refused the App's credentials"
    REPOSITORY_UNREADABLE = "repository_unreadable", "GitHub could not read the repository"
    GITHUB_ERROR = "github_error", "GitHub answered with an error"
    NOT_CONFIGURED = "not_configured", "GitHub App not configured"
    UNEXPECTED = "unexpected", "Unexpected error"


class TrackedRepository(BaseTeamModel):
    """A repository whose pull-request events count for the team. Tracking is a filter, never a hook.

    The ``import_*`` fields are the one import (history import or catch-up) of the repository: its claim (one
    import per repository at a time; ``import_heartbeat_at`` lets a new worker take over a dead one's claim), and
    the GraphQL cursor saved after each page, so a crash or restart resumes where it stopped.
    """

    installation = models.ForeignKey(
        GitHubAppInstallation, on_delete=models.SET_NULL, null=True, blank=True, related_name="tracked_repositories"
    )
    github_repo_id = models.BigIntegerField()
    full_name = models.CharField(max_length=255)
    is_active = models.BooleanField(default=True)
    inactive_reason = models.CharField(max_length=24, choices=InactiveReason.choices, blank=True)
    import_status = models.CharField(max_length=12, choices=ImportStatus.choices, default=ImportStatus.IDLE)
    import_kind = models.CharField(max_length=12, choices=ImportKind.choices, default=ImportKind.HISTORY)
    import_since = models.DateTimeField(null=True, blank=True, help_text="Import PRs updated at or after this.")
    import_cursor = models.TextField(blank=True, help_text="GraphQL endCursor of the last imported page.")
    import_page_size = models.PositiveSmallIntegerField(default=50)
    import_count = models.PositiveIntegerField(default=0)
    import_total = models.PositiveIntegerField(null=True, blank=True, help_text="pullRequests.totalCount")
    import_claim = models.CharField(max_length=36, blank=True)
    import_started_at = models.DateTimeField(null=True, blank=True)
    import_heartbeat_at = models.DateTimeField(null=True, blank=True)
    import_resume_at = models.DateTimeField(null=True, blank=True)
    import_error_kind = models.CharField(max_length=24, choices=ImportErrorKind.choices, blank=True)
    import_error = models.TextField(
        blank=True, help_text="GitHub's own words about the failure, when its kind needs them."
    )
    last_imported_at = models.DateTimeField(
        null=True, blank=True, help_text="Start of the last import that completed: everything updated before is in."
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "github_repo_id"], name="unique_team_tracked_repo")]
        indexes = [models.Index(fields=["github_repo_id", "is_active"], name="tracked_repo_lookup_idx")]
        ordering = ("full_name",)
        verbose_name_plural = "tracked repositories"

    def __str__(self) -> str:
        return self.full_name

    def import_running(self, *, now: datetime) -> bool:
        """Whether a worker is importing this repository now: running, with a heartbeat newer than the cutoff."""
        return self.import_status == ImportStatus.RUNNING and self._heard_from_since_cutoff(now)

    def import_in_progress(self, *, now: datetime) -> bool:
        """Queued or running, and heard from since the cutoff (``import_heartbeat_at`` is set when the import is
        queued, claimed and at each page): what the pages show as importing, with Import now hidden. The status
        alone is not enough: a process that dies mid-import (a restart of the embedded default's web process, a
        killed worker) leaves the row "running" for good."""
        return self.import_status in (ImportStatus.QUEUED, ImportStatus.RUNNING) and self._heard_from_since_cutoff(now)

    def import_stalled(self, *, now: datetime) -> bool:
        """Queued or running but silent past the cutoff: nothing is importing it. Import now is offered again and
        its claim is taken over (``services.import_run``), as the periodic resumer does with a broker."""
        return self.import_status in (ImportStatus.QUEUED, ImportStatus.RUNNING) and not self._heard_from_since_cutoff(
            now
        )

    def _heard_from_since_cutoff(self, now: datetime) -> bool:
        return self.import_heartbeat_at is not None and self.import_heartbeat_at > import_heartbeat_cutoff(now)


class ConnectionAction(models.TextChoices):
    CONNECTED = "connected", "Connected"
    DISCONNECTED = "disconnected", "Disconnected"


class InstallationConnectionEvent(BaseTeamModel):
    """Who connected an installation to the team, or disconnected it, and when (shown on the integration page).

    The names are copied at the time (``actor_email``, ``github_login``, ``account_login``), so the record still
    reads right after the user is deleted or the GitHub account renamed. ``created_at`` is when it happened.
    """

    installation = models.ForeignKey(
        GitHubAppInstallation, on_delete=models.SET_NULL, null=True, blank=True, related_name="connection_events"
    )
    installation_github_id = models.BigIntegerField()
    account_login = models.CharField(max_length=255, blank=True)
    action = models.CharField(max_length=16, choices=ConnectionAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_email = models.EmailField(blank=True)
    github_login = models.CharField(max_length=255, blank=True, help_text="GitHub user who proved ownership.")
    how = models.CharField(max_length=32, blank=True, help_text="account, organization admin or installer")

    class Meta:
        ordering = ("-created_at", "-pk")
        indexes = [models.Index(fields=["team", "-created_at"], name="connection_event_team_idx")]

    def __str__(self) -> str:
        return f"{self.account_login} {self.action} by {self.actor_email}"


class Checkpoint(models.Model):
    """Where a periodic job stopped (for example the redelivery scan of GitHub's delivery log)."""

    name = models.CharField(max_length=64, unique=True)
    value = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.name
