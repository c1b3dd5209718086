#!/bin/sh
# Run once by the postgres image, when it initialises an empty data directory
# (/docker-entrypoint-initdb.d): the roles the board and its solver workers connect as.
# jointops_app gets row rights only, from `jointops migrate --grant-to jointops_app`, and
# jointops_worker reads the board and writes only what a worker writes, from
# `--grant-worker-to jointops_worker` (the migrate service);
# the owner (POSTGRES_USER) alone can change the schema. SECURITY.md, "Database roles
# and TLS". A data directory made before this script existed: run these statements once
# by hand (docker compose exec db psql -U jointops jointops).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v password="$(cat /run/secrets/db_app_password)" \
    -v worker_password="$(cat /run/secrets/db_worker_password)" <<'SQL'
CREATE ROLE jointops_app LOGIN PASSWORD :'password';
CREATE ROLE jointops_worker LOGIN PASSWORD :'worker_password';
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
SQL
