"""Operators see the job queues and recent tasks, with each failure's error, in the admin."""

from __future__ import annotations

import time

import dramatiq
from django.contrib.admin.sites import site
from django.contrib.messages.storage.fallback import FallbackStorage
from django.test import RequestFactory
from django_dramatiq.models import Task

from musicsync.admin import OperatorTaskAdmin


@dramatiq.actor(max_retries=0, queue_name="default")
def broken_job(run_id: int) -> None:
    raise ValueError(f"<script>alert(1)</script> run {run_id} failed: access_token=abc123secret")


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def changelist(admin_user, **params):
    request = RequestFactory().get("/admin/django_dramatiq/task/", params)
    # As django-otp's middleware marks a person who passed the second factor.
    admin_user.is_verified = lambda: True
    request.user = admin_user
    request.session = {}
    request._messages = FallbackStorage(request)
    response = OperatorTaskAdmin(Task, site).changelist_view(request)
    response.render()
    return response.content.decode()


def test_a_failed_task_shows_its_error_escaped_and_without_the_token(worker, admin_user):
    message = broken_job.send(7)
    assert wait_for(
        lambda: Task.tasks.filter(id=message.message_id, status=Task.STATUS_FAILED).exists()
    )

    page = changelist(admin_user, outcome="failed")

    assert "ValueError" in page and "run 7 failed" in page
    assert "<script>alert(1)</script>" not in page
    assert "abc123secret" not in page
    task = Task.tasks.get(id=message.message_id)
    detail = OperatorTaskAdmin(Task, site).traceback(task)
    assert "&lt;script&gt;" in detail and "abc123secret" not in detail


def test_the_task_list_shows_how_many_messages_wait_in_each_queue(broker, admin_user, db):
    from musicsync.tasks import ping

    broker.flush_all()
    ping.send("a")
    ping.send("b")

    page = changelist(admin_user)

    assert "Queues" in page
    assert '<th scope="row">default</th>\n            <td>2</td>' in page


def test_a_broker_that_cannot_be_read_is_said_on_the_page(admin_user, db, monkeypatch):
    import musicsync.admin

    def broken():
        raise ConnectionError("redis refused")

    monkeypatch.setattr(musicsync.admin, "queue_depths", broken)
    page = changelist(admin_user)
    assert "The broker could not be read: ConnectionError: redis refused" in page
