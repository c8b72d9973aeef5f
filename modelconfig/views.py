"""The settings page: server-rendered from the selectors; changes go through the JSON API (static/js/settings.js)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie

from modelconfig import selectors
from modelconfig.actions import ACTION_SPECS, Action, Provider, ReasoningEffort, server_provider
from modelconfig.local_servers import local_servers
from modelconfig.models import MAX_TEMPERATURE, MAX_TOKENS_LIMIT
from previews.toolchain import toolchain


@login_required
@ensure_csrf_cookie
def settings_page(request):
    configs = selectors.effective_configs(user=request.user)
    rows = [
        {"config": config, "label": Action(config.action).label, "description": ACTION_SPECS[config.action].description}
        for config in configs
    ]
    return render(
        request,
        "modelconfig/settings.html",
        {
            "rows": rows,
            "offline_rows": [row for row in rows if row["config"].is_offline],
            "credentials": selectors.credential_list(user=request.user),
            "config_providers": [("", "Automatic"), *Provider.choices],
            "credential_providers": [
                (Provider.OPENAI.value, Provider.OPENAI.label),
                (Provider.ANTHROPIC.value, Provider.ANTHROPIC.label),
            ],
            "reasoning_efforts": ReasoningEffort.choices,
            "server_provider": Provider(server_provider()).label,
            "server_has_key": server_provider() != Provider.OFFLINE,
            "allow_private_urls": settings.ALLOW_PRIVATE_PROVIDER_URLS,
            # Offered in one click unless a key already points there.
            "local_servers": [
                server
                for server in local_servers()
                if not any(c.base_url == server.base_url for c in selectors.credential_list(user=request.user))
            ],
            "max_temperature": MAX_TEMPERATURE,
            "max_tokens_limit": MAX_TOKENS_LIMIT,
            "framework_apps": toolchain().as_dict(),
            "npm_allowed": sorted(settings.NPM_ALLOWED_PACKAGES),
        },
    )
