from __future__ import annotations

from allauth.account.forms import AddEmailForm
from allauth.account.models import EmailAddress
from django import forms
from django.contrib.auth import get_user_model
from django.db import transaction


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=32,
        help_text="The 6-digit code from your authenticator app, or a recovery code.",
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autocapitalize": "off",
                "spellcheck": "false",
                "autofocus": True,
            }
        ),
    )


class TotpConfirmForm(forms.Form):
    code = forms.CharField(
        label="Code from the app",
        max_length=8,
        help_text="Type the 6-digit code the app shows now.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9 ]*"}
        ),
    )


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=100,
        help_text="What the token is for, e.g. “laptop script”.",
    )


class PasswordConfirmForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class ChangeEmailForm(AddEmailForm):
    """allauth's change of address, which keeps an unconfirmed current address.

    allauth takes any unconfirmed address for the change in progress and replaces it,
    so a person who never confirmed the address they signed up with lost it at once:
    the account was left with no email, and the new, unconfirmed address logged in.
    Here the current address stays the login until the new one is confirmed, as it
    does for a confirmed one.
    """

    def clean_email(self) -> str:
        # allauth keeps quiet about an address another account has (so nobody learns who
        # has an account) and mails it a confirmation that can never succeed, while the
        # page waits for it forever. Say so here instead.
        email = super().clean_email()
        others_login = get_user_model().objects.filter(email__iexact=email).exclude(pk=self.user.pk)
        others_confirmed = EmailAddress.objects.filter(email__iexact=email, verified=True).exclude(
            user=self.user
        )
        if others_login.exists() or others_confirmed.exists():
            raise forms.ValidationError(
                "Another account uses this address. Choose a different one.", code="email_taken"
            )
        return email

    def save(self, request):
        current = EmailAddress.objects.filter(user=self.user, email__iexact=self.user.email).first()
        if not self.user.email or current is None or current.verified:
            return super().save(request)
        with transaction.atomic():
            # The change asked before this one, if any, gives way to this one.
            EmailAddress.objects.filter(user=self.user, verified=False).exclude(
                pk=current.pk
            ).delete()
            new = EmailAddress.objects.create(
                user=self.user, email=self.cleaned_data["email"].lower()
            )
        new.send_confirmation(request)
        return new
