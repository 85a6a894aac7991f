# syntax=docker/dockerfile:1
# Build stage: wheels for every pinned dependency.
FROM python:3.11-slim AS build
WORKDIR /src
COPY requirements.txt .
RUN pip wheel --no-cache-dir --wheel-dir /wheels -r requirements.txt

# Run stage: slim, non-root, static files collected at build time.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 MUSICSYNC_VAR_DIR=/app/var
RUN useradd --create-home --uid 10001 musicsync
WORKDIR /app
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/* && rm -rf /wheels
COPY --chown=musicsync:musicsync . .
RUN DEBUG=true python manage.py collectstatic --noinput \
    && mkdir -p /app/var && chown -R musicsync:musicsync /app/var
USER musicsync
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4).status == 200 else 1)"
CMD ["gunicorn", "musicsync.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "2", "--threads", "4", "--access-logfile", "-"]
