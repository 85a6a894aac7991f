"""Log-in by email: only with the address an account has now."""

from __future__ import annotations

from allauth.account.auth_backends import AuthenticationBackend
from allauth.account.models import EmailAddress


class EmailBackend(AuthenticationBackend):
    """allauth's log-in, refusing an address that waits for confirmation in a change of
    email: until its link is opened, the change has not happened (docs/security.md)."""

    def authenticate(self, request, **credentials):
        user = super().authenticate(request, **credentials)
        email = (credentials.get("email") or "").strip().lower()
        if user is None or not email or (user.email or "").lower() == email:
            return user
        if EmailAddress.objects.filter(user=user, email__iexact=email, verified=True).exists():
            return user
        return None
