from django.urls import path

from accounts import apis

urlpatterns = [
    path("signup", apis.SignUpApi.as_view(), name="auth-signup"),
    path("token", apis.TokenApi.as_view(), name="auth-token"),
    path("me", apis.MeApi.as_view(), name="auth-me"),
    path("check", apis.AuthCheckApi.as_view(), name="auth-check"),
    path("exchange-api-key", apis.ExchangeApiKeyApi.as_view(), name="auth-exchange-api-key"),
]
