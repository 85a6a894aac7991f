"""Emulators of Spotify and of Google OAuth + YouTube, for tests, benchmarks and demos.

``server.create_app()`` is the WSGI application; ``docs/sandbox.md`` describes it.
"""
