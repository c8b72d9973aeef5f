"""The history API (versions, diffs, restore) and hand edits of files: thin views over agents.versions."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from agents import selectors, versions
from config.errors import NotFound
from config.pagination import EnvelopePagination


def _agent_or_404(request, agent_id):
    agent = selectors.agent_get_for_user(user=request.user, agent_id=agent_id)
    if agent is None:
        raise NotFound("No such app.")
    return agent


def _version_or_404(agent, version_id):
    version = versions.version_get(agent=agent, version_id=version_id)
    if version is None:
        raise NotFound("No such version.")
    return version


class VersionOutputSerializer(serializers.Serializer):
    def to_representation(self, version):
        return versions.version_payload(version)


class VersionListApi(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT, description="The app's versions, newest first, paginated.")
    def get(self, request, agent_id):
        agent = _agent_or_404(request, agent_id)
        paginator = EnvelopePagination()
        page = paginator.paginate_queryset(versions.version_list(agent=agent), request, view=self)
        return paginator.get_paginated_response(VersionOutputSerializer(page, many=True).data)


class VersionDiffApi(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT, description="A unified diff per file changed by this version.")
    def get(self, request, agent_id, version_id):
        version = _version_or_404(_agent_or_404(request, agent_id), version_id)
        files = [
            {"path": d.path, "change": d.change, "additions": d.additions, "deletions": d.deletions, "diff": d.diff}
            for d in versions.version_diff(version=version)
        ]
        return Response({"version": versions.version_payload(version), "files": files})


class VersionRestoreApi(APIView):
    @extend_schema(
        request=None,
        responses=OpenApiTypes.OBJECT,
        description="A new version whose files are this version's, then a redeploy. 409 while generating.",
    )
    def post(self, request, agent_id, version_id):
        agent = _agent_or_404(request, agent_id)
        version = _version_or_404(agent, version_id)
        restored = versions.restore(agent=agent, version=version, user=request.user)
        return Response({"version": versions.version_payload(restored)})


class FileEditInputSerializer(serializers.Serializer):
    fileContents = serializers.CharField(allow_blank=True, trim_whitespace=False)
