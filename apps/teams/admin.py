from django.contrib import admin

from apps.teams.models import APIToken, Invitation, Membership, Team


class MembershipInline(admin.TabularInline[Membership, Team]):
    model = Membership
    extra = 0
    raw_id_fields = ("user",)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin[Team]):
    list_display = ("name", "slug", "created_at")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    inlines = (MembershipInline,)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin[Membership]):
    list_display = ("user", "team", "role", "created_at")
    list_filter = ("role",)
    search_fields = ("user__email", "team__name")
    raw_id_fields = ("user", "team")


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin[Invitation]):
    list_display = ("email", "team", "role", "created_at", "accepted_at")
    search_fields = ("email", "team__name")
    raw_id_fields = ("team", "invited_by", "accepted_by")


@admin.register(APIToken)
class APITokenAdmin(admin.ModelAdmin[APIToken]):
    """Staff see who made which token and can revoke one (set "revoked at"); the token itself exists nowhere."""

    list_display = ("name", "prefix", "team", "created_by", "created_at", "last_used_at", "revoked_at")
    search_fields = ("name", "prefix", "team__name")
    raw_id_fields = ("team", "created_by")
    readonly_fields = ("prefix", "digest", "last_used_at")
