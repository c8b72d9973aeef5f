"""`Authorization: Bearer …` for API clients such as VibeSDK's SDK, beside DRF's `Token …`.

A Bearer credential is either an access token from `POST /api/auth/exchange-api-key` or the API key itself
(the user's API token). Like `Token`, it needs no CSRF token: a browser never sends it on its own.
"""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from accounts.access_tokens import access_token_user, api_key_id, is_access_token


class BearerAuthentication(TokenAuthentication):
    keyword = "Bearer"

    def authenticate_credentials(self, key):
        if is_access_token(key):
            found = access_token_user(token=key)
            if found is None:
                raise exceptions.AuthenticationFailed("Invalid or expired access token.")
            user, key_id = found
            return user, {"apiKeyId": key_id}
        user, token = super().authenticate_credentials(key)
        return user, {"apiKeyId": api_key_id(token.key)}


class BearerAuthenticationScheme(OpenApiAuthenticationExtension):
    """Names the scheme in the OpenAPI schema (beside DRF's `tokenAuth`)."""

    target_class = BearerAuthentication
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(header_name="Authorization", token_prefix="Bearer")
