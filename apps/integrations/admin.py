from django.contrib import admin

from apps.integrations.models import (
    Checkpoint,
    GitHubAppInstallation,
    InstallationRepository,
    TrackedRepository,
    WebhookDelivery,
)


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
    list_display = ("full_name", "team", "installation", "is_active", "inactive_reason")
    list_filter = ("is_active",)
    search_fields = ("full_name",)
    raw_id_fields = ("team", "installation")


@admin.register(Checkpoint)
class CheckpointAdmin(admin.ModelAdmin):
    list_display = ("name", "updated_at")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("delivery_id", "event", "action", "installation_id", "status", "attempts", "received_at")
    list_filter = ("status", "event")
    search_fields = ("delivery_id", "installation_id")
    date_hierarchy = "received_at"
