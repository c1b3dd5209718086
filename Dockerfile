# syntax=docker/dockerfile:1
# The board's image: web, solver worker and one-shot migration all run it.
# Wheels are built once, from the hashed lock, in a stage of their own; the final image
# installs them with no index (the stack starts air-gapped) and runs as a non-root user.

FROM python:3.11-slim AS wheels
WORKDIR /build
COPY requirements/runtime.lock requirements/runtime.lock
RUN pip wheel --no-cache-dir --require-hashes --wheel-dir /wheels -r requirements/runtime.lock

FROM python:3.11-slim
# tini as PID 1 forwards SIGTERM to the board (a worker then stops its solve at the best
# plan) and reaps children; pg_dump/pg_restore serve `jointops backup` and `restore`;
# openssl makes the database's certificates (scripts/db_certs.sh, compose's db-certs).
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini postgresql-client openssl \
    && rm -rf /var/lib/apt/lists/*
COPY --from=wheels /wheels /wheels
COPY requirements/runtime.lock /tmp/runtime.lock
RUN pip install --no-cache-dir --no-index --find-links /wheels --require-hashes \
        -r /tmp/runtime.lock \
    && rm -rf /wheels /tmp/runtime.lock
RUN useradd --system --uid 10001 --create-home --home-dir /home/jointops jointops
WORKDIR /srv/jointops
# The board reads its templates, static files and migrations beside app/ (app/config.py
# ROOT), so the tree is copied as it is and run from here, not installed as a wheel.
COPY alembic.ini pyproject.toml ./
COPY app app
COPY templates templates
COPY static static
COPY migrations migrations
ENV PYTHONPATH=/srv/jointops \
    PYTHONUNBUFFERED=1 \
    JOINTOPS_ENVIRONMENT=production
USER jointops
EXPOSE 8000
ENTRYPOINT ["tini", "--", "python", "-m", "app.cli"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
