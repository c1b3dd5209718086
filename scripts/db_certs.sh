#!/bin/sh
# The PostgreSQL server's TLS certificate, from an internal CA, made once (ASVS 5.0
# 12.3.1, 12.3.3, 12.3.4; SECURITY.md "Database roles and TLS"). Used by the compose
# stack's db-certs service and by tests/security/test_database_tls.py, so that the test
# proves these very commands.
#
#   scripts/db_certs.sh <dir> <host name> [<more names>...]
#
# In <dir>:
#   ca/ca.key, ca/ca.crt           the CA: its key never leaves this directory
#   server/server.key, server.crt  for PostgreSQL (ssl_key_file, ssl_cert_file), the key
#                                  0600 and owned by DB_CERTS_OWNER (the server's user)
#   public/ca.crt                  what clients verify the server with (sslrootcert)
# The names go into the certificate's subjectAltName: libpq's sslmode=verify-full
# checks the host of the URL against them.
#
# Files that exist are kept, so a restart changes nothing, and an organisation's own
# certificate and CA put in server/ and public/ are used as they are. To renew the
# server's certificate from the same CA, delete server/ and run it again.
#
# Environment: DB_CERTS_OWNER (user[:group], e.g. 999:999, the postgres user of the
# official image; unset: the caller), DB_CERTS_DAYS (validity, default 3650), and
# DB_CERTS_BACKDATE_DAYS (notBefore that many days back, default 1, against clocks that
# differ a little).
set -eu

if [ $# -lt 2 ]; then
    echo "usage: $0 <dir> <host name> [<more names>...]" >&2
    exit 2
fi
dir=$1
shift
days=${DB_CERTS_DAYS:-3650}
backdate=${DB_CERTS_BACKDATE_DAYS:-1}
umask 077
mkdir -p "$dir/ca" "$dir/server" "$dir/public"

if [ -s "$dir/server/server.crt" ] && [ -s "$dir/server/server.key" ]; then
    echo "db_certs: keeping the server certificate in $dir/server"
else
    if [ ! -s "$dir/ca/ca.key" ] || [ ! -s "$dir/ca/ca.crt" ]; then
        if [ -s "$dir/public/ca.crt" ]; then
            echo "db_certs: $dir/public/ca.crt is there but not the CA's key in $dir/ca:" \
                 "put the server's certificate and key in $dir/server, or remove" \
                 "$dir/public/ca.crt to make a new CA" >&2
            exit 1
        fi
        echo "db_certs: making an internal CA in $dir/ca"
    fi
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    san=""
    for name in "$@"; do
        san="${san:+$san,}DNS:$name"
    done
    # `openssl ca` is the one openssl 3.0 command that sets notBefore in the past; it
    # wants a configuration, an index and a serial of its own, kept in the scratch dir.
    cat > "$work/ca.cnf" <<CNF
[ca]
default_ca = internal
[internal]
database = $work/index.txt
new_certs_dir = $work
serial = $work/serial
default_md = sha256
policy = any
copy_extensions = none
unique_subject = no
[any]
commonName = supplied
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[v3_ca]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = $san
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF
    : > "$work/index.txt"
    openssl rand -hex 16 > "$work/serial"
    start=$(date -u -d "-$backdate days" +%Y%m%d%H%M%SZ)
    end=$(date -u -d "+$days days" +%Y%m%d%H%M%SZ)
    if [ ! -s "$dir/ca/ca.key" ] || [ ! -s "$dir/ca/ca.crt" ]; then
        openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
            -out "$dir/ca/ca.key" 2>/dev/null
        openssl req -new -config "$work/ca.cnf" -key "$dir/ca/ca.key" \
            -subj "/CN=JointOps database CA" -out "$work/ca.csr"
        # The CA outlives the server certificates it signs by ten years.
        ca_end=$(date -u -d "+$((days + 3650)) days" +%Y%m%d%H%M%SZ)
        openssl ca -batch -notext -config "$work/ca.cnf" -selfsign -keyfile "$dir/ca/ca.key" \
            -startdate "$start" -enddate "$ca_end" -extensions v3_ca \
            -in "$work/ca.csr" -out "$dir/ca/ca.crt"
        chmod 0644 "$dir/ca/ca.crt"
    fi
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
        -out "$work/server.key" 2>/dev/null
    openssl req -new -config "$work/ca.cnf" -key "$work/server.key" -subj "/CN=$1" \
        -out "$work/server.csr"
    openssl ca -batch -notext -config "$work/ca.cnf" -cert "$dir/ca/ca.crt" \
        -keyfile "$dir/ca/ca.key" -startdate "$start" -enddate "$end" -extensions server \
        -in "$work/server.csr" -out "$work/server.crt"
    # The CA must verify what it signed before the server uses it.
    openssl verify -CAfile "$dir/ca/ca.crt" "$work/server.crt" >/dev/null
    chmod 0644 "$work/server.crt"
    mv "$work/server.key" "$dir/server/server.key"
    mv "$work/server.crt" "$dir/server/server.crt"
    echo "db_certs: made the server certificate for $* in $dir/server"
fi

if [ ! -s "$dir/public/ca.crt" ]; then
    cp "$dir/ca/ca.crt" "$dir/public/ca.crt"
fi
# PostgreSQL refuses a key that others may read; clients only need to read the CA.
chmod 0600 "$dir/server/server.key"
chmod 0644 "$dir/server/server.crt" "$dir/public/ca.crt"
chmod 0755 "$dir/server" "$dir/public"
if [ -n "${DB_CERTS_OWNER:-}" ]; then
    chown "$DB_CERTS_OWNER" "$dir/server" "$dir/server/server.key" "$dir/server/server.crt"
fi
