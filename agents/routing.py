from django.urls import path

from agents.consumers import AgentConsumer

websocket_urlpatterns = [
    path("api/agent/<str:agent_id>/ws", AgentConsumer.as_asgi()),
]
