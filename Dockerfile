# syntax=docker/dockerfile:1
# Music Sync Hub: one image for web (gunicorn), workers (rundramatiq) and the scheduler.

# --- Build stage: wheels for every pinned dependency -------------------------------
FROM python:3.11.7-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY requirements.txt .
RUN --mount=type=cache,target=/root/.cache/pip \
    pip wheel --wheel-dir /wheels -r requirements.txt

# --- Run stage: slim, non-root, static files collected at build time ----------------
FROM python:3.11.7-slim-bookworm AS run
ARG MUSICSYNC_RELEASE=dev
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MUSICSYNC_VAR_DIR=/app/var \
    MUSICSYNC_RELEASE=${MUSICSYNC_RELEASE} \
    PORT=8000
RUN groupadd --system --gid 10001 musicsync \
    && useradd --system --no-log-init --uid 10001 --gid musicsync --home-dir /app musicsync
WORKDIR /app
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-cache-dir --no-index --find-links=/wheels /wheels/*.whl
COPY --chown=musicsync:musicsync . .
# Settings refuse to start without secrets when DEBUG is off; collectstatic needs none.
RUN DEBUG=true python manage.py collectstatic --noinput \
    && mkdir -p /app/var \
    && chown -R musicsync:musicsync /app/var
USER musicsync:musicsync
EXPOSE 8000 9191
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "deploy/healthcheck.py"]
CMD ["gunicorn", "--config", "deploy/gunicorn.conf.py", "musicsync.wsgi:application"]
