"""Server-rendered sign-up, log-in and log-out pages."""

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import views as auth_views
from django.http import HttpResponseForbidden
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods
from django_ratelimit.decorators import ratelimit

from accounts.forms import SignUpForm


@require_http_methods(["GET", "POST"])
@ratelimit(key="ip", rate=settings.SIGNUP_RATE, method="POST", block=True)
def signup(request):
    if not settings.OPEN_SIGNUP:
        return HttpResponseForbidden("Sign-up is closed on this server.")
    if request.user.is_authenticated:
        return redirect("home")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        auth.login(request, user, backend="accounts.backends.UsernameBackend")
        return redirect("home")
    return render(request, "accounts/signup.html", {"form": form}, status=400 if form.errors else 200)


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass
