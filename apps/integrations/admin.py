from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

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
class GitHubAppInstallationAdmin(admin.ModelAdmin):
    list_display = ("installation_id", "account_login", "account_type", "team", "status", "repository_selection")
    list_filter = ("status", "account_type")
    search_fields = ("account_login", "installation_id")
    raw_id_fields = ("team", "linked_by")


@admin.register(InstallationRepository)
class InstallationRepositoryAdmin(admin.ModelAdmin):
    list_display = ("full_name", "installation", "private", "archived", "removed_at")
    list_filter = ("private", "archived")
    search_fields = ("full_name",)
    raw_id_fields = ("installation",)


@admin.register(TrackedRepository)
class TrackedRepositoryAdmin(admin.ModelAdmin):
    list_display = ("full_name", "team", "installation", "is_active", "sync_status", "last_synced_at")
    list_filter = ("is_active", "sync_status")
    search_fields = ("full_name",)
    raw_id_fields = ("team", "installation")


@admin.register(InstallationConnectionEvent)
class InstallationConnectionEventAdmin(admin.ModelAdmin):
    """Read-only: the record of who connected or disconnected an installation is never edited."""

    list_display = ("created_at", "team", "account_login", "action", "actor_email", "github_login", "how")
    list_filter = ("action",)
    search_fields = ("account_login", "actor_email", "github_login")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Checkpoint)
class CheckpointAdmin(admin.ModelAdmin):
    list_display = ("name", "updated_at")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("delivery_id", "event", "action", "installation_id", "status", "attempts", "received_at")
    list_filter = ("status", "event")
    search_fields = ("delivery_id", "installation_id")
    date_hierarchy = "received_at"
    actions = ("reprocess",)
    readonly_fields = tuple(f.name for f in WebhookDelivery._meta.fields)

    @admin.action(description="Reprocess selected deliveries")
    def reprocess(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        count = deliveries_reprocess(pks=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"{count} deliveries queued for reprocessing.", messages.SUCCESS)
