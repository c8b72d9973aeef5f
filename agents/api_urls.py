from django.urls import path

from agents import apis

urlpatterns = [
    path("agent/codegen", apis.CodegenApi.as_view(), name="agent-codegen"),
    path("agents", apis.AgentListApi.as_view(), name="agent-list"),
    path("usage", apis.UsageApi.as_view(), name="usage"),
    path("agent/<uuid:agent_id>", apis.AgentDetailApi.as_view(), name="agent-detail"),
    path("agent/<uuid:agent_id>/connect", apis.AgentConnectApi.as_view(), name="agent-connect"),
    path("agent/<uuid:agent_id>/images", apis.AgentImagesApi.as_view(), name="agent-images"),
    path("agent/<uuid:agent_id>/export", apis.AgentExportApi.as_view(), name="agent-export"),
    path("agent/<uuid:agent_id>/files/<path:path>", apis.AgentFileApi.as_view(), name="agent-file"),
]
