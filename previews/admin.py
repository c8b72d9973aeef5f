from django.contrib import admin

from previews.models import Deployment


@admin.register(Deployment)
class DeploymentAdmin(admin.ModelAdmin):
    """Read-only: deployments are made by `agents.deployments` and removed by `prune_previews` (with their folders)."""

    list_display = ["id", "agent", "status", "backend", "created_at", "expires_at"]
    list_filter = ["status", "backend"]
    search_fields = ["id", "agent__id", "agent__title"]
    list_select_related = ["agent"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
