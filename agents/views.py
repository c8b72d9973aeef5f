"""Server-rendered pages: the prompt (home), the apps list and an app's workspace.

Thin: they authorise and read through agents.selectors; everything live (the blueprint stream, the
workspace) is driven by the page's JavaScript over the HTTP API and the agent socket.
"""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie

from agents import selectors
from agents.images import FORMATS, MAX_IMAGE_BYTES
from agents.models import AgentStatus
from agents.services import MAX_IMAGES_PER_TURN

RECENT_APPS_ON_HOME = 6
APPS_PER_PAGE = 20
# The limits the API enforces, handed to the page so it can refuse a file before uploading it.
IMAGE_LIMITS = {"maxImages": MAX_IMAGES_PER_TURN, "maxBytes": MAX_IMAGE_BYTES, "types": sorted(FORMATS.values())}


@ensure_csrf_cookie
def home(request):
    if not request.user.is_authenticated:
        # A visitor first learns what Atelier is, then signs up or logs in.
        return render(request, "agents/landing.html")
    recent = selectors.agent_list_for_user(user=request.user)[:RECENT_APPS_ON_HOME]
    return render(request, "agents/home.html", {"recent_apps": recent, "image_limits": IMAGE_LIMITS})


@login_required
@ensure_csrf_cookie
def apps(request):
    page = Paginator(selectors.agent_list_for_user(user=request.user), APPS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "agents/apps.html", {"page": page, "statuses": AgentStatus})


@login_required
@ensure_csrf_cookie
def workspace(request, agent_id):
    agent = selectors.agent_get_for_user(user=request.user, agent_id=agent_id)
    if agent is None:
        # A page of its own (deleted, or another user's: the same words), not Django's debug 404.
        return render(request, "agents/app_not_found.html", status=404)
    return render(request, "agents/workspace.html", {"agent": agent, "image_limits": IMAGE_LIMITS})
