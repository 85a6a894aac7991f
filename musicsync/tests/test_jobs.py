"""A job enqueued in a request runs on a real worker; unfinished runs come back after a restart."""

from __future__ import annotations

import time
import uuid

import pytest
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.urls import path

from musicsync.tasks import ping

pytestmark = pytest.mark.smoke


def enqueue_ping(request):
    token = request.GET["token"]
    transaction.on_commit(lambda: ping.send(token))
    return HttpResponse("queued")


urlpatterns = [path("enqueue", enqueue_ping)]


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.urls("musicsync.tests.test_jobs")
def test_a_job_enqueued_in_a_request_runs_on_the_worker(client, worker):
    token = uuid.uuid4().hex
    assert client.get("/enqueue", {"token": token}).content == b"queued"
    assert wait_for(lambda: cache.get(f"ping:{token}") == "pong"), "the worker never ran the job"


def test_unfinished_runs_are_enqueued_again_at_start(make_pair, monkeypatch, transactional_db):
    from syncing import tasks
    from syncing.models import Run
    from syncing.services.recovery import resume_unfinished_work

    sent: list[int] = []
    monkeypatch.setattr(tasks.execute_run, "send", lambda run_id: sent.append(run_id))
    queued = Run.objects.create(pair=make_pair(), user=make_pair.user, status=Run.Status.QUEUED)
    running = Run.objects.create(
        pair=make_pair(), user=make_pair.user, status=Run.Status.RUNNING, claimed_by="dead-worker"
    )
    done = Run.objects.create(pair=make_pair(), user=make_pair.user, status=Run.Status.SUCCEEDED)

    resumed = resume_unfinished_work()

    assert sorted(resumed) == sorted([queued.id, running.id])
    assert sorted(sent) == sorted([queued.id, running.id])
    running.refresh_from_db()
    assert running.status == Run.Status.QUEUED and running.claimed_by == ""
    done.refresh_from_db()
    assert done.status == Run.Status.SUCCEEDED
