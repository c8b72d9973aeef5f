from django.urls import path, re_path

from agents import apis, git_http, image_apis, version_apis, vibesdk_apis

urlpatterns = [
    path("agent/codegen", apis.CodegenApi.as_view(), name="agent-codegen"),
    path("agents", apis.AgentListApi.as_view(), name="agent-list"),
    path("usage", apis.UsageApi.as_view(), name="usage"),
    path("agent/<uuid:agent_id>", apis.AgentDetailApi.as_view(), name="agent-detail"),
    path("agent/<uuid:agent_id>/connect", apis.AgentConnectApi.as_view(), name="agent-connect"),
    path("agent/<uuid:agent_id>/images", apis.AgentImagesApi.as_view(), name="agent-images"),
    path("agent/<uuid:agent_id>/images/<uuid:image_id>", image_apis.AgentImageApi.as_view(), name="agent-image"),
    path(
        "agent/<uuid:agent_id>/self-checks/<uuid:check_id>/screenshot",
        image_apis.SelfCheckScreenshotApi.as_view(),
        name="agent-self-check-screenshot",
    ),
    path("agent/<uuid:agent_id>/export", apis.AgentExportApi.as_view(), name="agent-export"),
    path("agent/<uuid:agent_id>/events", apis.AgentEventsApi.as_view(), name="agent-events"),
    path("agent/<uuid:agent_id>/messages", apis.AgentMessagesApi.as_view(), name="agent-messages"),
    path("agent/<uuid:agent_id>/files/<path:path>", apis.AgentFileApi.as_view(), name="agent-file"),
    path("agent/<uuid:agent_id>/versions", version_apis.VersionListApi.as_view(), name="agent-versions"),
    path(
        "agent/<uuid:agent_id>/versions/<str:version_id>/diff",
        version_apis.VersionDiffApi.as_view(),
        name="agent-version-diff",
    ),
    path(
        "agent/<uuid:agent_id>/versions/<str:version_id>/restore",
        version_apis.VersionRestoreApi.as_view(),
        name="agent-version-restore",
    ),
    # Any id, even a malformed one, gets the same 401 without credentials (git_http's docstring).
    re_path(r"^agent/(?P<agent_id>[^/]+)/git(?P<rest>/.*)?$", git_http.git_smart_http, name="agent-git"),
    # VibeSDK's names (agents/vibesdk_apis.py), beside Atelier's own.
    path("agent", vibesdk_apis.VibeCodegenApi.as_view(), name="vibesdk-agent"),
    path("ws-ticket", vibesdk_apis.WsTicketApi.as_view(), name="vibesdk-ws-ticket"),
    path("apps", vibesdk_apis.AppListApi.as_view(), name="vibesdk-apps"),
    path("apps/recent", vibesdk_apis.AppRecentApi.as_view(), name="vibesdk-apps-recent"),
    path("apps/<str:app_id>", vibesdk_apis.AppDetailApi.as_view(), name="vibesdk-app"),
    path("agent/<uuid:agent_id>/deploy-preview", apis.AgentDeployPreviewApi.as_view(), name="agent-deploy-preview"),
    path("agent/<uuid:agent_id>/preview", apis.AgentPreviewApi.as_view(), name="agent-preview"),
    path(
        "agent/<uuid:agent_id>/messages/<int:message_id>/retry",
        apis.AgentRequestRetryApi.as_view(),
        name="agent-request-retry",
    ),
]
