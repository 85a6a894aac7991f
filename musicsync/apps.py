"""The project package as an app, for the operators' pages in the admin."""

from __future__ import annotations

from django.apps import AppConfig


class MusicsyncConfig(AppConfig):
    name = "musicsync"
    verbose_name = "Operations"

    def ready(self) -> None:
        from django.db import connections
        from django.db.backends.signals import connection_created

        from musicsync.pagecache import watch_writes

        # Every process that writes marks the cached pages out of date (pagecache.py).
        connection_created.connect(watch_writes, dispatch_uid="pagecache.watch_writes")
        for connection in connections.all(initialized_only=True):
            watch_writes(connection=connection)
