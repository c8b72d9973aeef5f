from django.urls import path

from accounts import apis

urlpatterns = [
    path("signup", apis.SignUpApi.as_view(), name="auth-signup"),
    path("token", apis.TokenApi.as_view(), name="auth-token"),
    path("me", apis.MeApi.as_view(), name="auth-me"),
]
