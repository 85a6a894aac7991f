"""Connecting through allauth with PKCE against the sandbox, and what tokens become after."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.db import close_old_connections
from django.utils import timezone

from platforms.clients import client_for
from platforms.errors import PlatformError
from platforms.models import Connection
from platforms.sandbox.testing import consent

HOST = {"HTTP_HOST": "127.0.0.1:8000"}


def start_connect(client, provider: str) -> str:
    response = client.post(f"/accounts/{provider}/login/?process=connect", **HOST)
    assert response.status_code == 302, response.content[:300]
    return response["Location"]


def finish(client, location: str):
    parts = urlsplit(location)
    return client.get(f"{parts.path}?{parts.query}", **HOST)


@pytest.mark.smoke
@pytest.mark.parametrize(("provider", "platform"), [("spotify", "spotify"), ("google", "youtube")])
def test_connecting_stores_encrypted_tokens_and_queues_an_import(
    alice_client,
    alice,
    platform_settings,
    provider,
    platform,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    queued = []
    monkeypatch.setattr("platforms.tasks.import_library.send", lambda cid: queued.append(cid))
    authorize = start_connect(alice_client, provider)
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    if provider == "google":
        assert query["access_type"] == ["offline"] and query["prompt"] == ["consent"]

    with django_capture_on_commit_callbacks(execute=True):
        finish(alice_client, consent(authorize, "sandbox-alice"))

    conn = Connection.objects.get(user=alice, platform=platform)
    assert conn.state == "active" and conn.access_token and conn.refresh_token
    assert queued == [conn.pk]
    shown = [str(m) for m in alice_client.get("/", **HOST).context["messages"]]
    assert f"{conn.get_platform_display()} is connected." in shown
    from django.core import mail

    (notice,) = mail.outbox
    assert notice.subject.endswith(f"{conn.get_platform_display()} connected")
    assert "third-party" not in notice.body
    from allauth.socialaccount.models import SocialToken

    assert not SocialToken.objects.exists(), "tokens must not sit in allauth's plain table"


@pytest.mark.parametrize(
    ("provider", "platform", "identity_request"),
    # The call that says who the person is: Spotify's profile, Google's id_token.
    [
        ("spotify", "spotify", "GET /spotify/api/v1/me "),
        ("google", "youtube", "POST /google/token "),
    ],
)
def test_connecting_puts_no_token_in_a_url_or_a_log_line(
    alice_client,
    alice,
    platform_settings,
    provider,
    platform,
    identity_request,
    monkeypatch,
    caplog,
):
    monkeypatch.setattr("platforms.tasks.import_library.send", lambda cid: None)
    # Every logger, urllib3's request lines too, as the console would print them.
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="urllib3")

    finish(alice_client, consent(start_connect(alice_client, provider), "sandbox-alice"))

    conn = Connection.objects.get(user=alice, platform=platform)
    assert conn.state == "active" and conn.access_token and conn.refresh_token
    served = list(platform_settings.request_lines)
    assert any(line.startswith(identity_request) for line in served), served
    for token in (conn.access_token, conn.refresh_token):
        assert not [line for line in served if token in line]
        assert token not in caplog.text


@pytest.mark.parametrize(("provider", "name"), [("spotify", "Spotify"), ("google", "YouTube")])
def test_cancelling_on_the_consent_page_says_the_platform_was_not_connected(
    alice_client, alice, platform_settings, provider, name
):
    authorize = start_connect(alice_client, provider)

    response = finish(alice_client, consent(authorize, "sandbox-alice", agree=False))

    assert response.status_code == 302 and response["Location"] == "/"
    dashboard = alice_client.get("/", **HOST)
    shown = [str(m) for m in dashboard.context["messages"]]
    assert shown == [f"{name} was not connected: you cancelled on its page."]
    assert f"Connect {name}" in dashboard.content.decode()  # and can try again from there
    assert not Connection.objects.filter(user=alice).exists()


def test_a_failing_spotify_profile_request_says_spotify_was_not_connected(
    alice_client, alice, platform_settings
):
    platform_settings.state.knobs.update(fail_next={"spotify.me.get": [503]})
    authorize = start_connect(alice_client, "spotify")

    response = finish(alice_client, consent(authorize, "sandbox-alice"))

    assert response.status_code == 302 and response["Location"] == "/"
    shown = [str(m) for m in alice_client.get("/", **HOST).context["messages"]]
    assert shown == ["Spotify could not be connected: its sign-in did not complete. Try again."]
    assert not Connection.objects.filter(user=alice).exists()


def test_a_tampered_state_is_refused(alice_client, alice, platform_settings):
    authorize = start_connect(alice_client, "spotify")
    callback = consent(authorize, "sandbox-alice")
    forged = callback.replace("state=", "state=forged")

    response = finish(alice_client, forged)

    assert not Connection.objects.filter(user=alice).exists()
    assert response.status_code == 302 and response["Location"] == "/"
    shown = [str(m) for m in alice_client.get("/", **HOST).context["messages"]]
    assert shown == ["Spotify could not be connected: its sign-in did not complete. Try again."]


def test_a_wrong_pkce_verifier_is_refused(alice_client, alice, platform_settings):
    authorize = start_connect(alice_client, "spotify")
    callback = consent(authorize, "sandbox-alice")
    session = alice_client.session
    # allauth keeps the verifier in the session state; change it as an attacker could not.
    flows = session.get("socialaccount_states") or {}
    for _key, value in flows.items():
        state = value[0] if isinstance(value, list | tuple) else value
        if isinstance(state, dict) and "pkce_code_verifier" in state:
            state["pkce_code_verifier"] = "x" * 64
    session["socialaccount_states"] = flows
    session.save()

    finish(alice_client, callback)

    assert not Connection.objects.filter(user=alice, platform="spotify").exists()


def test_an_expired_access_token_is_refreshed_and_the_rotated_refresh_token_kept(
    alice_connected, platform_settings
):
    conn = alice_connected.spotify
    old_refresh = conn.refresh_token
    Connection.objects.filter(pk=conn.pk).update(token_expires_at=timezone.now())
    conn.refresh_from_db()

    client_for(conn).list_playlists()

    conn.refresh_from_db()
    assert conn.refresh_token != old_refresh, "Spotify rotates refresh tokens"
    assert conn.token_expires_at > timezone.now() + timedelta(minutes=30)
    refused = requests.post(
        f"{platform_settings.spotify_accounts_url}/api/token",
        data={"grant_type": "refresh_token", "refresh_token": old_refresh},
        auth=("sandbox-spotify-client", "sandbox-spotify-secret"),
        timeout=5,
    )
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"


@pytest.mark.postgres
def test_two_workers_refreshing_at_once_keep_a_working_token(alice_connected, platform_settings):
    conn = alice_connected.spotify
    Connection.objects.filter(pk=conn.pk).update(token_expires_at=timezone.now())
    errors: list[Exception] = []

    def work():
        try:
            client_for(Connection.objects.get(pk=conn.pk)).list_playlists()
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    conn.refresh_from_db()
    assert conn.state == "active"
    client_for(conn).list_playlists()  # the stored refresh token still works later
    Connection.objects.filter(pk=conn.pk).update(token_expires_at=timezone.now())
    conn.refresh_from_db()
    client_for(conn).list_playlists()


def test_a_revoked_grant_marks_the_connection_and_the_dashboard_says_so(
    alice_connected, platform_settings, client
):
    conn = alice_connected.spotify
    requests.post(f"{platform_settings.url}/_control/spotify/users/sandbox-alice/revoke", timeout=5)
    Connection.objects.filter(pk=conn.pk).update(token_expires_at=timezone.now())
    conn.refresh_from_db()

    with pytest.raises(PlatformError) as failure:
        client_for(conn).list_playlists()

    assert failure.value.needs_reconnect
    conn.refresh_from_db()
    assert conn.state == "needs_reconnect"
    client.force_login(alice_connected)
    page = client.get("/").content.decode()
    assert "reconnect" in page.lower()


def test_disconnecting_revokes_the_google_grant_and_deletes_the_stored_tokens(
    alice_connected, platform_settings
):
    from django.db import connection as db

    from platforms.services import connection_disconnect

    conn = alice_connected.youtube
    refresh = conn.refresh_token

    connection_disconnect(connection=conn)

    conn.refresh_from_db()
    assert conn.state == "disconnected"
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT access_token, refresh_token FROM platforms_connection WHERE id = %s", [conn.pk]
        )
        assert cursor.fetchone() == ("", "")
    refused = requests.post(
        f"{platform_settings.google_oauth_url}/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": refresh,
            "client_id": "sandbox-google-client.apps.googleusercontent.com",
            "client_secret": "sandbox-google-secret",
        },
        timeout=5,
    )
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"


def test_disconnecting_youtube_sends_the_refresh_token_in_no_url(
    alice_connected, platform_settings
):
    from platforms.services import connection_disconnect

    refresh = alice_connected.youtube.refresh_token

    connection_disconnect(connection=alice_connected.youtube)

    served = list(platform_settings.request_lines)
    assert "POST /google/revoke HTTP/1.1" in served
    assert not [line for line in served if refresh in line]


def test_a_cancelled_log_in_with_a_platform_says_so_in_our_words(client, db):
    page = client.get("/accounts/3rdparty/login/cancelled/", **HOST).content.decode()

    assert "Log-in cancelled" in page and "Back to log in" in page
    assert "our site" not in page
