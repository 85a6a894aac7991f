"""gunicorn settings for the image: sizes from the environment, JSON access lines, and
prometheus_client's multi-process mode so /metrics adds up every worker process."""

from __future__ import annotations

import os
import shutil

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Restart workers now and then so a slow leak never takes a pod down.
max_requests = 2000
max_requests_jitter = 200
# The heartbeat file in memory: a read-only or slow /tmp must not stall workers.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
accesslog = "-" if os.environ.get("GUNICORN_ACCESS_LOG", "true").lower() == "true" else None
# The path without the query string (OAuth callbacks carry codes there), and the request id
# the app put in the response, so access lines join up with the app's own JSON lines.
access_log_format = (
    '{"logger":"gunicorn.access","remote":"%(h)s","method":"%(m)s","path":"%(U)s",'
    '"status":%(s)s,"bytes":"%(B)s","duration_ms":%(M)s,"request_id":"%({x-request-id}o)s"}'
)

# Set before the app is imported in the workers, so prometheus_client writes files there.
METRICS_DIR = os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", "/tmp/musicsync-metrics")  # noqa: S108


def on_starting(server) -> None:
    # Files of a previous run would be added to this run's counters: start empty.
    shutil.rmtree(METRICS_DIR, ignore_errors=True)
    os.makedirs(METRICS_DIR, exist_ok=True)


def child_exit(server, worker) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
