"""The scheduler process: `manage.py run_scheduler`. One instance at a time holds the lock."""

from __future__ import annotations

import logging
import signal
import time
import uuid

from django.core.cache import cache
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from syncing.scheduler import TICK_SECONDS, tick

logger = logging.getLogger(__name__)
LOCK_KEY = "musicsync:scheduler-lock"


class Command(BaseCommand):
    help = "Fire scheduled pairs, resume waiting runs and rescue stale ones, every 30 seconds."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="one round, then exit")
        parser.add_argument("--interval", type=float, default=TICK_SECONDS)

    def handle(self, *args, once=False, interval=TICK_SECONDS, **options):
        me = uuid.uuid4().hex
        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        lease = int(max(interval * 3, 10))
        while not stopping:
            # A second scheduler waits; claims are conditional, so even two would not double-fire.
            holder = cache.get(LOCK_KEY)
            if holder in (None, me) and (cache.add(LOCK_KEY, me, lease) or holder == me):
                cache.set(LOCK_KEY, me, lease)
                close_old_connections()
                result = tick()
                self.stdout.write(f"scheduler: {result}")
            elif once:
                self.stdout.write("another scheduler holds the lock")
            if once:
                break
            time.sleep(interval)
        if cache.get(LOCK_KEY) == me:
            cache.delete(LOCK_KEY)
