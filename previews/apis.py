"""Previews API: deploy an agent's current files, and read its latest deployment (DESIGN.md §8)."""

from django.conf import settings
from django.http.request import split_domain_port
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from agents.selectors import agent_get_for_user
from config.errors import NotFound
from config.ratelimits import enforce
from previews import services
from previews.models import DeploymentStatus
from previews.selectors import latest_deployment


def _agent_or_404(*, request, agent_id):
    agent = agent_get_for_user(user=request.user, agent_id=agent_id)
    if agent is None:
        raise NotFound("Agent not found.")
    return agent


def _request_port(request) -> str | None:
    # The port the browser used (from Host), not the socket's: behind a proxy they differ.
    return split_domain_port(request.get_host())[1] or None


class DeploymentOutputSerializer(serializers.Serializer):
    deploymentId = serializers.UUIDField(source="id")
    status = serializers.ChoiceField(choices=DeploymentStatus.choices)
    previewUrl = serializers.SerializerMethodField()

    def get_previewUrl(self, deployment) -> str | None:
        return deployment.preview_url or None


class DeployPreviewApi(APIView):
    class OutputSerializer(DeploymentOutputSerializer):
        pass

    @extend_schema(request=None, responses={202: OutputSerializer})
    def post(self, request, agent_id):
        enforce(request=request, group="deploy", key="user", rate=settings.DEPLOY_RATE, message="Too many deployments.")
        agent = _agent_or_404(request=request, agent_id=agent_id)
        # The static backend is fast, so the deploy runs inside the request; 202 keeps the contract open
        # for backends that build in the background (progress arrives as deployment_* events).
        deployment = services.deploy(agent=agent, base_port=_request_port(request))
        return Response(self.OutputSerializer(deployment).data, status=status.HTTP_202_ACCEPTED)


class PreviewApi(APIView):
    class OutputSerializer(DeploymentOutputSerializer):
        # null when there is none, as in the WebSocket snapshot.
        error = serializers.SerializerMethodField()

        def get_error(self, deployment) -> str | None:
            return deployment.error or None

    @extend_schema(responses=OutputSerializer)
    def get(self, request, agent_id):
        agent = _agent_or_404(request=request, agent_id=agent_id)
        deployment = latest_deployment(agent=agent)
        if deployment is None:
            raise NotFound("No preview deployed yet.")
        return Response(self.OutputSerializer(deployment).data)
