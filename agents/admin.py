"""Read-mostly admin: operators can look at agents, their files and events, and fix a stuck lease."""

import json

from django.contrib import admin
from django.utils.html import format_html

from agents.models import Agent, Event, File, Image, Message, Phase, UsageRecord


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class PhaseInline(ReadOnlyInline):
    model = Phase
    fields = ("index", "name", "status", "last_phase", "updated_at")
    readonly_fields = fields


class FileInline(ReadOnlyInline):
    model = File
    fields = ("path", "purpose", "complete", "generating", "sha256", "updated_at")
    readonly_fields = fields


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):
    list_display = ("title", "owner", "status", "model_provider", "tokens_in", "tokens_out", "created_at")
    list_filter = ("status",)
    search_fields = ("title", "query", "owner__username", "id")
    readonly_fields = (
        "id",
        "owner",
        "query",
        "blueprint_json",
        "template_name",
        "current_phase_index",
        "phase_budget",
        "last_seq",
        "tokens_in",
        "tokens_out",
        "created_at",
        "updated_at",
    )
    fields = readonly_fields + (
        "title",
        "status",
        "error",
        "lease_owner",
        "lease_expires_at",
        "stop_requested",
        "generation_requested",
    )
    inlines = [PhaseInline, FileInline]

    @admin.display(description="Blueprint")
    def blueprint_json(self, agent: Agent) -> str:
        """The blueprint indented, as it reads, rather than one long line."""
        if agent.blueprint is None:
            return "-"
        return format_html("<pre>{}</pre>", json.dumps(agent.blueprint, indent=2, ensure_ascii=False))


@admin.register(File)
class FileAdmin(admin.ModelAdmin):
    list_display = ("path", "agent", "complete", "generating", "updated_at")
    search_fields = ("path", "agent__id")
    readonly_fields = ("agent", "path", "purpose", "content", "sha256", "phase", "complete", "generating", "draft")

    def has_add_permission(self, request):
        return False


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ("agent", "seq", "type", "created_at")
    list_filter = ("type",)
    search_fields = ("agent__id",)
    readonly_fields = ("agent", "seq", "type", "payload", "created_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("agent", "role", "pending", "cleared", "created_at")
    readonly_fields = ("agent", "role", "text", "image_ids", "pending", "cleared", "created_at")

    def has_add_permission(self, request):
        return False


@admin.register(Image)
class ImageAdmin(admin.ModelAdmin):
    list_display = ("id", "owner", "agent", "mime_type", "width", "height", "bytes", "created_at")
    readonly_fields = ("owner", "agent", "file", "mime_type", "width", "height", "bytes", "original_name")

    def has_add_permission(self, request):
        return False


@admin.register(UsageRecord)
class UsageRecordAdmin(admin.ModelAdmin):
    list_display = ("user", "agent", "action", "provider", "model", "tokens_in", "tokens_out", "created_at")
    list_filter = ("action", "provider")
    readonly_fields = ("user", "agent", "action", "provider", "model", "tokens_in", "tokens_out", "created_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
