from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount, SocialToken
from django.apps import apps
from django.contrib.auth import get_user_model

from accounts import services
from accounts.models import SealedTOTPDevice
from conftest import PASSWORD
from platforms.models import Collection, CollectionItem, Connection, Track
from syncing.models import Run, SyncPair

pytestmark = pytest.mark.django_db


def _give_data_to(user, n: int) -> None:
    spotify = Connection.objects.create(
        user=user,
        platform="spotify",
        account_id=f"sp-{n}",
        access_token=f"secret-access-{n}",
        refresh_token=f"secret-refresh-{n}",
    )
    youtube = Connection.objects.create(user=user, platform="youtube", account_id=f"yt-{n}")
    source = Collection.objects.create(connection=spotify, platform_id=f"pl-{n}", name="Road")
    target = Collection.objects.create(connection=youtube, platform_id=f"yl-{n}", name="Road")
    track, _ = Track.objects.get_or_create(
        platform="spotify", platform_id="shared-track", defaults={"title": "Shared song"}
    )
    CollectionItem.objects.create(collection=source, position=0, track=track)
    pair = SyncPair.objects.create(
        user=user, source=source, target=target, target_platform="youtube"
    )
    Run.objects.create(pair=pair, user=user)
    services.api_token_create(user=user, name="script")
    SealedTOTPDevice.objects.create(user=user, name="Phone", confirmed=True)
    services.recovery_codes_regenerate(user=user)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    account = SocialAccount.objects.create(user=user, provider="spotify", uid=f"sp-{n}")
    SocialToken.objects.create(account=account, token=f"social-{n}")


def _rows_referencing(user) -> dict[str, int]:
    """Every row, in every app, with a foreign key straight to this person."""
    User = get_user_model()
    found = {}
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if field.many_to_one and field.concrete and field.related_model is User:
                count = model._default_manager.filter(**{field.name: user.pk}).count()
                if count:
                    found[f"{model._meta.label}.{field.name}"] = count
    return found


def test_deleting_my_account_removes_my_rows_and_keeps_everyone_elses(alice_client, alice, bob):
    _give_data_to(alice, 1)
    _give_data_to(bob, 2)
    bobs_rows = _rows_referencing(bob)
    assert "platforms.Connection.user" in bobs_rows

    page = alice_client.get("/settings/delete/").content.decode()
    assert "Delete my account" in page
    response = alice_client.post("/settings/delete/", {"password": PASSWORD})

    assert response.url == "/accounts/login/"
    assert not get_user_model().objects.filter(pk=alice.pk).exists()
    assert _rows_referencing(alice) == {}
    # The encrypted platform tokens and the allauth social tokens went with them.
    assert not Connection.objects.filter(account_id="sp-1").exists()
    assert not SocialToken.objects.filter(token="social-1").exists()
    assert not Collection.objects.filter(platform_id="pl-1").exists()
    # Bob keeps everything, and the shared track he still has.
    assert _rows_referencing(bob) == bobs_rows
    assert SocialToken.objects.filter(token="social-2").exists()
    assert Track.objects.filter(platform_id="shared-track").exists()


def test_the_wrong_password_deletes_nothing(alice_client, alice):
    _give_data_to(alice, 1)
    response = alice_client.post("/settings/delete/", {"password": "not it"})
    assert response.status_code == 200
    assert "not your password" in response.content.decode()
    assert Connection.objects.filter(user=alice).count() == 2


def test_after_deleting_the_session_is_logged_out(alice_client, alice):
    alice_client.post("/settings/delete/", {"password": PASSWORD})
    assert alice_client.get("/settings/").status_code == 302
