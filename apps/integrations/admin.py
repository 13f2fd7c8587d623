from django.contrib import admin, messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.functional import cached_property

from apps.integrations.models import (
    Checkpoint,
    GitHubAppInstallation,
    InstallationConnectionEvent,
    InstallationRepository,
    TrackedRepository,
    WebhookDelivery,
)
from apps.integrations.services.deliveries import deliveries_reprocess


@admin.register(GitHubAppInstallation)
class GitHubAppInstallationAdmin(admin.ModelAdmin[GitHubAppInstallation]):
    list_display = ("installation_id", "account_login", "account_type", "team", "status", "repository_selection")
    list_filter = ("status", "account_type")
    search_fields = ("account_login", "installation_id")
    raw_id_fields = ("team", "linked_by")


@admin.register(InstallationRepository)
class InstallationRepositoryAdmin(admin.ModelAdmin[InstallationRepository]):
    list_display = ("full_name", "installation", "private", "archived", "removed_at")
    list_filter = ("private", "archived")
    search_fields = ("full_name",)
    raw_id_fields = ("installation",)


@admin.register(TrackedRepository)
class TrackedRepositoryAdmin(admin.ModelAdmin[TrackedRepository]):
    list_display = ("full_name", "team", "installation", "is_active", "import_status", "last_imported_at")
    list_filter = ("is_active", "import_status")
    search_fields = ("full_name",)
    raw_id_fields = ("team", "installation")


@admin.register(InstallationConnectionEvent)
class InstallationConnectionEventAdmin(admin.ModelAdmin[InstallationConnectionEvent]):
    """Read-only: the record of who connected or disconnected an installation is never edited."""

    list_display = ("created_at", "team", "account_login", "action", "actor_email", "github_login", "how")
    list_filter = ("action",)
    search_fields = ("account_login", "actor_email", "github_login")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Checkpoint)
class CheckpointAdmin(admin.ModelAdmin[Checkpoint]):
    list_display = ("name", "updated_at")


class CappedCountPaginator(Paginator[WebhookDelivery]):
    """Counts at most ``CAP`` + 1 rows: a COUNT(*) of millions of deliveries is a full scan on every page view, and
    nobody pages past the first hundred pages; past the cap the list simply ends there."""

    CAP = 10_000

    @cached_property
    def count(self) -> int:
        rows = self.object_list
        if isinstance(rows, QuerySet):
            return rows[: self.CAP + 1].count()
        return min(len(rows), self.CAP + 1)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin[WebhookDelivery]):
    """Stays fast at millions of rows: every query it runs is served by an index. No ``date_hierarchy`` and no
    filter on ``event`` (each ran a DISTINCT over the whole table on every page view); the status filter's
    choices are fixed, the newest-first list reads ``delivery_received_idx`` and "failed" its partial index;
    search is an exact delivery id (the unique index), never a LIKE over the table; counts are capped."""

    list_display = ("delivery_id", "event", "action", "installation_id", "status", "attempts", "received_at")
    list_filter = ("status",)
    search_fields = ("delivery_id",)
    search_help_text = "An exact X-GitHub-Delivery id."
    show_full_result_count = False
    paginator = CappedCountPaginator
    actions = ("reprocess",)
    readonly_fields = (*(f.name for f in WebhookDelivery._meta.fields), "payload")

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[WebhookDelivery], search_term: str
    ) -> tuple[QuerySet[WebhookDelivery], bool]:
        term = search_term.strip()
        return (queryset.filter(delivery_id=term) if term else queryset), False

    @admin.display(description="payload")
    def payload(self, obj: WebhookDelivery) -> str:
        """The stored body (one query on its primary key, on the change page only; the list never reads it)."""
        body = obj.payload_stored()
        return "(pruned)" if body is None else body

    @admin.action(description="Reprocess selected deliveries")
    def reprocess(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        count = deliveries_reprocess(pks=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"{count} deliveries queued for reprocessing.", messages.SUCCESS)
