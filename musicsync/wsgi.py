"""WSGI entry point (gunicorn and runserver).

In sandbox mode the platform emulators are mounted under /sandbox in the same
server, and in embedded mode the job worker starts inside this process.
"""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "musicsync.settings")

application = get_wsgi_application()


def _compose(app):
    from django.conf import settings

    if settings.MUSICSYNC_SANDBOX and settings.SANDBOX_URL.startswith(settings.SITE_URL):
        from werkzeug.middleware.dispatcher import DispatcherMiddleware

        from platforms.sandbox.server import create_app

        mount = settings.SANDBOX_URL[len(settings.SITE_URL) :] or "/sandbox"
        app = DispatcherMiddleware(app, {mount: create_app()})
    from musicsync import embedded

    embedded.start()
    return app


application = _compose(application)
