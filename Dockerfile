# Trygghetsbot: one replica. Build: docker build -t trygghetsbot .
# Runs as an unprivileged user; listens on 8080 for the webhook, /healthz, /readyz, /metrics.
# See docs/production.md (and compose.yaml for the bot with PostgreSQL).

FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY storage ./storage
RUN python -m venv /opt/venv && /opt/venv/bin/pip install .

FROM python:3.11-slim-bookworm
# WeasyPrint renders the staff's /report PDF: it needs Pango and HarfBuzz's subsetter, and the
# report is set in DejaVu Sans (checked by tests/deploy/test_system_packages.py).
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
# /data holds the SQLite store, /keys the pseudonym key the bot generates on its first run
# (unless SURVEYBOT_SECRET or SURVEYBOT_SECRET_FILE is set, as compose.yaml does): two volumes,
# so a copy of the database is no copy of the key. The user's home, /app, is not writable.
RUN useradd --system --uid 10001 --user-group --home-dir /app --shell /usr/sbin/nologin surveybot \
    && mkdir -p /app /data /keys \
    && chown surveybot:surveybot /data /keys \
    && chmod 700 /data /keys
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY surveys ./surveys
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    MPLCONFIGDIR=/tmp/matplotlib \
    SURVEYBOT_SURVEY=/app/surveys/questions.yaml \
    SURVEYBOT_DATABASE=/data/survey.db \
    SURVEYBOT_KEY_DIR=/keys \
    SURVEYBOT_HTTP_HOST=0.0.0.0 \
    SURVEYBOT_HTTP_PORT=8080
USER surveybot
VOLUME ["/data", "/keys"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"]
# SIGTERM stops the bot cleanly (running steps finish, the store is closed).
STOPSIGNAL SIGTERM
ENTRYPOINT ["survey-bot"]
CMD ["run"]
