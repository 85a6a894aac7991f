"""Log lines are JSON with the request, person and run ids, and never carry a secret.

The lines are read from the configured console handler (its filters and formatter as
settings.LOGGING sets them), pointed at a buffer for the test.
"""

from __future__ import annotations

import io
import json
import logging

import pytest
from django.http import HttpResponse
from django.urls import path

from musicsync.observability import (
    ContextFilter,
    JsonFormatter,
    TextFormatter,
    current_context,
    log_context,
)

logger = logging.getLogger("musicsync.tests.logging")

TOKEN = "ya29.a0-super-secret-access-token-0123456789"
REFRESH = "1//0g-super-secret-refresh-token-987654"


def logging_view(request):
    logger.info("looking at the dashboard")
    return HttpResponse("ok")


urlpatterns = [path("logged", logging_view)]


@pytest.fixture
def console():
    handler = next(
        h
        for h in logging.getLogger().handlers
        if any(isinstance(f, ContextFilter) for f in h.filters)
    )
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    yield buffer
    handler.setStream(previous)


def lines(console) -> list[dict]:
    return [json.loads(line) for line in console.getvalue().splitlines() if line.strip()]


def line_saying(console, text: str) -> dict:
    found = [entry for entry in lines(console) if text in entry["message"]]
    assert found, f"no log line says {text!r}"
    return found[-1]


@pytest.mark.django_db
@pytest.mark.urls("musicsync.tests.test_logging")
def test_a_request_line_carries_the_request_id_and_the_person(alice_client, alice, console):
    response = alice_client.get("/logged", HTTP_X_REQUEST_ID="req-abc-123")

    assert response["X-Request-ID"] == "req-abc-123"
    entry = line_saying(console, "looking at the dashboard")
    assert entry["request_id"] == "req-abc-123"
    assert entry["user_id"] == alice.pk
    assert entry["level"] == "info" and entry["logger"] == "musicsync.tests.logging"


@pytest.mark.django_db
@pytest.mark.urls("musicsync.tests.test_logging")
def test_a_request_without_an_id_gets_a_new_one_and_a_strange_one_is_replaced(client, console):
    fresh = client.get("/logged")
    strange = client.get("/logged", HTTP_X_REQUEST_ID="a b\nc")

    assert len(fresh["X-Request-ID"]) == 32
    assert strange["X-Request-ID"] != "a b\nc" and len(strange["X-Request-ID"]) == 32
    entry = line_saying(console, "looking at the dashboard")
    assert entry["request_id"] == strange["X-Request-ID"]
    assert entry["user_id"] is None


@pytest.mark.django_db
@pytest.mark.urls("musicsync.tests.test_logging")
def test_the_person_and_request_do_not_leak_into_what_comes_after(alice_client):
    alice_client.get("/logged")
    assert current_context() == {"request_id": None, "user_id": None, "run_id": None}


def test_lines_inside_a_run_carry_its_id_and_nested_contexts_restore(console):
    with log_context(run_id=41, user_id=7):
        logger.warning("planning the run")
        with log_context(run_id=42):
            logger.warning("a retry inside")
        logger.warning("back in the first run")
    logger.warning("outside any run")

    entries = {entry["message"]: entry for entry in lines(console)}
    assert entries["planning the run"]["run_id"] == 41
    assert entries["planning the run"]["user_id"] == 7
    assert entries["a retry inside"]["run_id"] == 42
    assert entries["a retry inside"]["user_id"] == 7
    assert entries["back in the first run"]["run_id"] == 41
    assert entries["outside any run"]["run_id"] is None


def test_tokens_never_reach_a_log_line(console):
    logger.warning("refresh with refresh_token=%s failed", REFRESH)
    logger.warning("calling with Authorization: Bearer %s", TOKEN)
    logger.warning("callback /cb?code=4/0secretcode&state=secretstate&page=2")
    logger.warning("token response", extra={"access_token": TOKEN, "items": 3})
    logger.warning('body {"access_token": "%s", "expires_in": 3600}', TOKEN)
    try:
        raise RuntimeError(f"401 for access_token={TOKEN}")
    except RuntimeError:
        logger.exception("platform call failed")

    out = "\n".join(json.dumps(entry) for entry in lines(console))
    for secret in (TOKEN, REFRESH, "4/0secretcode", "secretstate"):
        assert secret not in out
    assert "page=2" in out and '"items": 3' in out and "platform call failed" in out
    assert "RuntimeError" in out


def test_runservers_request_lines_are_redacted_too(console):
    # make run serves with runserver, which logs every request line on "django.server".
    logging.getLogger("django.server").info(
        '"GET /accounts/spotify/login/callback/?code=4/0secretcode&state=secretstate '
        'HTTP/1.1" 302 0'
    )
    entry = line_saying(console, "/accounts/spotify/login/callback/")
    assert "4/0secretcode" not in entry["message"] and "secretstate" not in entry["message"]


def test_an_email_address_in_a_message_is_not_logged(console):
    logger.warning("sent the notice to alice@example.com")
    entry = line_saying(console, "sent the notice")
    assert "alice@example.com" not in entry["message"]


def test_the_debug_text_format_shows_the_ids_at_the_end():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", None, None)
    record.request_id, record.user_id, record.run_id = "r1", 5, None
    text = TextFormatter("%(levelname)s %(message)s").format(record)
    assert text == "INFO hello [request_id=r1 user_id=5]"


def test_the_json_format_is_one_object_per_line_with_the_fields_collectors_need():
    record = logging.LogRecord("x.y", logging.ERROR, __file__, 1, "a\nb", None, None)
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert set(entry) >= {"time", "level", "logger", "message", "request_id", "user_id", "run_id"}
    assert entry["message"] == "a\nb" and entry["level"] == "error"
