"""The project package as an app, for the operators' pages in the admin."""

from __future__ import annotations

from django.apps import AppConfig


class MusicsyncConfig(AppConfig):
    name = "musicsync"
    verbose_name = "Operations"
