"""Password authentication that finds a user by name case-insensitively, after NFKC normalisation."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from accounts.models import User
from accounts.selectors import user_get_by_username


class UsernameBackend(ModelBackend):
    """ModelBackend, with `ADA`, `ada` and a fullwidth `ａｄａ` naming the same account.

    Every path that checks a password (log-in form, admin, the browsable API's log-in, `/api/auth/token`)
    comes through `authenticate()`, after django-axes' lockout check (the first backend).
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if not isinstance(username, str) or password is None:
            return None
        user = user_get_by_username(username=username)
        if user is None:
            # Hash anyway, so a missing user takes as long as a wrong password (as ModelBackend does).
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
