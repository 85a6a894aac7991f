"""Errors reach Sentry from a view and from a job, and carry no personal data or tokens.

A tiny HTTP server on 127.0.0.1 stands in for Sentry and keeps every envelope it gets.
"""

from __future__ import annotations

import gzip
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import dramatiq
import pytest
import sentry_sdk
from django.urls import path

from musicsync.observability import init_sentry, log_context, redact_url, scrub_event

ACCESS_TOKEN = "ya29.a0AfH6SMBx-secret-access-token-1234567890"
REFRESH_TOKEN = "1//0gSecretRefreshToken-abcdefghijkl"
OAUTH_CODE = "4/0AX4XfWsecret-oauth-code"
OAUTH_STATE = "st4te-s3cret-value-zzz"
SESSION_COOKIE = "sessionvaluethatmustnotleak123"
EMAIL = "alice@example.com"
SECRETS = [ACCESS_TOKEN, REFRESH_TOKEN, OAUTH_CODE, OAUTH_STATE, SESSION_COOKIE, EMAIL]
# The URL-encoded forms too: a query string carries them that way.
SECRETS += [urllib.parse.quote(s, safe="") for s in SECRETS]


class _Collector(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        encoding = self.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        elif encoding == "br":
            import brotli  # only when sentry-sdk found it installed

            body = brotli.decompress(body)
        self.server.envelopes.append(body.decode("utf-8", "replace"))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def sentry_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Collector)
    server.envelopes = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    init_sentry(f"http://public@127.0.0.1:{server.server_address[1]}/1", environment="test")
    yield server
    sentry_sdk.flush(timeout=5)
    sentry_sdk.get_client().close()
    # Later tests run with no Sentry client, as they would with no DSN.
    sentry_sdk.get_global_scope().set_client(None)
    server.shutdown()


def events(server) -> list[dict]:
    """The error events among the envelopes (an envelope is JSON lines: header, item header,
    payload, ...)."""
    found = []
    for envelope in server.envelopes:
        lines = envelope.split("\n")
        for header, payload in zip(lines[1::2], lines[2::2], strict=False):
            try:
                if json.loads(header).get("type") == "event":
                    found.append(json.loads(payload))
            except ValueError:
                continue
    return found


def wait_for_event(server, predicate, timeout=15.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sentry_sdk.flush(timeout=1)
        for event in events(server):
            if predicate(event):
                return event
        time.sleep(0.1)
    raise AssertionError(f"no matching event arrived; got {events(server)!r}")


def exception_types(event: dict) -> list[str]:
    return [value.get("type") for value in event.get("exception", {}).get("values", [])]


def assert_no_secrets(server, extra=()):
    everything = "\n".join(server.envelopes)
    for secret in [*SECRETS, *extra]:
        assert secret not in everything, f"{secret!r} reached Sentry"


# --- A failing view -----------------------------------------------------------------


class TokenRefreshFailed(RuntimeError):
    pass


def failing_view(request):
    access_token = ACCESS_TOKEN  # noqa: F841 - a local variable Sentry could have sent
    raise TokenRefreshFailed(
        f"refresh for {request.user.email} failed: refresh_token={REFRESH_TOKEN} "
        f"Authorization: Bearer {ACCESS_TOKEN}"
    )


urlpatterns = [path("boom", failing_view)]


@pytest.mark.urls("musicsync.tests.test_sentry")
def test_a_failing_view_reaches_sentry_without_tokens_cookies_or_email(
    sentry_server, live_server, client, alice
):
    # Through a real WSGI server, as under gunicorn: that is where Sentry reads the URL,
    # the headers and the cookies of the request.
    client.force_login(alice)
    session = client.cookies["sessionid"].value
    query = urllib.parse.urlencode(
        {"code": OAUTH_CODE, "state": OAUTH_STATE, "access_token": ACCESS_TOKEN, "page": "2"}
    )
    request = urllib.request.Request(
        f"{live_server.url}/boom?{query}",
        headers={
            "Authorization": f"Bearer {ACCESS_TOKEN}",
            "Cookie": f"sessionid={session}; other={SESSION_COOKIE}",
            "X-Request-ID": "req-view-1",
        },
    )
    with pytest.raises(urllib.error.HTTPError) as failure:
        urllib.request.urlopen(request, timeout=10)
    assert failure.value.code == 500

    event = wait_for_event(sentry_server, lambda e: "TokenRefreshFailed" in exception_types(e))
    assert event["tags"]["request_id"] == "req-view-1"
    assert event["tags"]["user_id"] == str(alice.pk)
    assert not (event.get("user") or {}).get("email")
    assert event["request"]["url"].endswith("/boom")
    assert "page=2" in event["request"]["query_string"]
    assert "cookies" not in event["request"]
    assert event["request"]["headers"].get("Authorization") in (None, "[Filtered]")
    assert event["request"]["headers"].get("Cookie") in (None, "[Filtered]")
    assert_no_secrets(sentry_server, extra=[session])


# --- A failing job ------------------------------------------------------------------


class PlatformRejected(RuntimeError):
    pass


@dramatiq.actor(max_retries=0, queue_name="default")
def failing_job(run_id: int, token: str) -> None:
    with log_context(run_id=run_id):
        raise PlatformRejected(f"YouTube said 401 for access_token={token} of {EMAIL}")


def test_a_failing_job_reaches_sentry_without_its_token(sentry_server, worker):
    failing_job.send(4242, ACCESS_TOKEN)

    event = wait_for_event(sentry_server, lambda e: "PlatformRejected" in exception_types(e))
    assert event["tags"]["run_id"] == "4242"
    assert event["contexts"]["dramatiq"]["type"] == "dramatiq"
    assert_no_secrets(sentry_server)


# --- The scrubber on its own --------------------------------------------------------


def test_the_scrubber_filters_oauth_parameters_in_urls_and_query_strings():
    event = {
        "request": {
            "url": f"https://sync.example.com/accounts/spotify/callback?code={OAUTH_CODE}&x=1",
            "query_string": f"code={OAUTH_CODE}&state={OAUTH_STATE}&page=2",
            "headers": {"Cookie": f"sessionid={SESSION_COOKIE}", "Accept": "text/html"},
            "cookies": {"sessionid": SESSION_COOKIE},
            "data": {"password": "hunter2"},
        },
        "user": {"id": 7, "email": EMAIL, "ip_address": "198.51.100.7"},
        "extra": {"refresh_token": REFRESH_TOKEN, "note": f"mail {EMAIL}"},
    }
    scrubbed = json.dumps(scrub_event(event))
    for secret in [*SECRETS, "hunter2", "198.51.100.7"]:
        assert secret not in scrubbed
    assert "page=2" in scrubbed and "x=1" in scrubbed
    assert json.loads(scrubbed)["user"] == {"id": 7}


def test_redact_url_keeps_harmless_parameters():
    assert redact_url("/cb?state=abc&page=3") == "/cb?state=[Filtered]&page=3"
