#!/bin/sh
# Run once by the postgres image, when it initialises an empty data directory
# (/docker-entrypoint-initdb.d): the role the board and its workers connect as. It gets
# row rights only, from `jointops migrate --grant-to jointops_app` (the migrate service);
# the owner (POSTGRES_USER) alone can change the schema. SECURITY.md, "Database roles
# and TLS". A data directory made before this script existed: run these statements once
# by hand (docker compose exec db psql -U jointops jointops).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v password="$(cat /run/secrets/db_app_password)" <<'SQL'
CREATE ROLE jointops_app LOGIN PASSWORD :'password';
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
SQL
