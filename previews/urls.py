from django.urls import path

from previews import apis

urlpatterns = [
    path("agent/<uuid:agent_id>/deploy-preview", apis.DeployPreviewApi.as_view(), name="agent-deploy-preview"),
    path("agent/<uuid:agent_id>/preview", apis.PreviewApi.as_view(), name="agent-preview"),
]
