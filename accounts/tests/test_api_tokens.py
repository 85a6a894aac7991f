from __future__ import annotations

import datetime
import hashlib

import pytest
from django.utils import timezone

from accounts import services
from accounts.models import ApiToken

pytestmark = [pytest.mark.django_db, pytest.mark.urls("accounts.tests.urls")]


def test_a_token_is_stored_only_as_a_hash(alice):
    new = services.api_token_create(user=alice, name="laptop")
    row = ApiToken.objects.get(pk=new.token.pk)
    assert row.secret_hash == hashlib.sha256(new.secret.encode()).hexdigest()
    assert new.secret not in {row.name, row.prefix, row.secret_hash}
    assert new.secret.startswith(f"msh_{row.prefix}_")
    assert len(new.secret) > 40


def test_the_secret_is_shown_once_after_creating(alice_client, alice):
    response = alice_client.post("/settings/tokens/", {"name": "laptop script"})
    assert response.url == "/settings/tokens/"
    first = alice_client.get("/settings/tokens/").content.decode()
    assert "will not be shown again" in first
    secret = first.split('id="new-token-secret">')[1].split("<")[0]
    token = ApiToken.objects.get(user=alice)
    assert token.secret_hash == services.hash_secret(secret)

    again = alice_client.get("/settings/tokens/").content.decode()
    assert secret not in again
    assert "laptop script" in again
    assert f"msh_{token.prefix}_" in again


def test_a_token_authenticates_api_requests_as_its_owner(client, alice):
    new = services.api_token_create(user=alice, name="cli")
    for scheme in ("Token", "Bearer"):
        response = client.get("/api/whoami", HTTP_AUTHORIZATION=f"{scheme} {new.secret}")
        assert response.status_code == 200
        assert response.json() == {"email": alice.email}


def test_using_a_token_records_when_it_was_last_used(client, alice):
    new = services.api_token_create(user=alice, name="cli")
    assert new.token.last_used_at is None
    client.get("/api/whoami", HTTP_AUTHORIZATION=f"Token {new.secret}")
    new.token.refresh_from_db()
    assert new.token.last_used_at is not None
    assert timezone.now() - new.token.last_used_at < datetime.timedelta(seconds=10)


def test_a_revoked_token_gets_401(alice_client, client, alice):
    new = services.api_token_create(user=alice, name="old")
    response = alice_client.post(f"/settings/tokens/{new.token.pk}/revoke/")
    assert response.url == "/settings/tokens/"
    assert "Revoked" in alice_client.get("/settings/tokens/").content.decode()

    response = client.get("/api/whoami", HTTP_AUTHORIZATION=f"Token {new.secret}")
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_a_wrong_or_tampered_secret_gets_401(client, alice):
    new = services.api_token_create(user=alice, name="cli")
    tampered = new.secret[:-2] + ("aa" if not new.secret.endswith("aa") else "bb")
    for secret in (tampered, "msh_nothere_x", "garbage"):
        response = client.get("/api/whoami", HTTP_AUTHORIZATION=f"Token {secret}")
        assert response.status_code == 401


def test_no_credentials_get_401_with_a_challenge(client):
    response = client.get("/api/whoami")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")


def test_a_token_of_a_deactivated_person_stops_working(client, alice):
    new = services.api_token_create(user=alice, name="cli")
    alice.is_active = False
    alice.save()
    response = client.get("/api/whoami", HTTP_AUTHORIZATION=f"Token {new.secret}")
    assert response.status_code == 401


def test_nobody_can_revoke_someone_elses_token(client, alice, bob):
    new = services.api_token_create(user=alice, name="cli")
    client.force_login(bob)
    response = client.post(f"/settings/tokens/{new.token.pk}/revoke/")
    assert response.status_code == 404
    new.token.refresh_from_db()
    assert new.token.is_active


def test_the_list_shows_only_my_tokens(alice_client, alice, bob):
    services.api_token_create(user=alice, name="mine")
    services.api_token_create(user=bob, name="bobs")
    page = alice_client.get("/settings/tokens/").content.decode()
    assert "mine" in page
    assert "bobs" not in page
