# syntax=docker/dockerfile:1
# Build stage: install the service and its dependencies into a virtualenv.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/venv
COPY pyproject.toml ./
COPY consent_service ./consent_service
COPY consent_verifier ./consent_verifier
RUN /opt/venv/bin/pip install .

# Runtime stage: the virtualenv, the migrations and the WSGI entry point, run as a non-root user.
FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 FLASK_APP=consent_service:create_cli_app CONSENT_ENV=production \
    HOST=0.0.0.0 PORT=8000 WEB_CONCURRENCY=2
RUN useradd --system --uid 10001 --home-dir /app consent
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
# gunicorn reads gunicorn.conf.py from here: timeouts and request limits, private logs, metrics summed over every
# worker (Prometheus multiprocess mode). Serve it behind a buffering proxy (deploy/nginx.conf; docker-compose.yml).
COPY wsgi.py gunicorn.conf.py ./
COPY migrations ./migrations
USER consent
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s \
  CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/healthz', timeout=2)"
# Migrations run once per deploy (`docker run ... flask db upgrade`), not on every start. No gunicorn
# access log: the app logs one redacted line per request (no path, the client's network, not its IP).
CMD ["sh", "-c", "exec gunicorn --workers ${WEB_CONCURRENCY} --bind ${HOST}:${PORT} wsgi:app"]
