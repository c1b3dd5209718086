#!/bin/sh
# Entrypoint of the compose stack's clamav service (docker-compose.yml), replacing the
# image's: that one waits for clamd's socket in /tmp or /run/clamav, and this stack puts
# it in the clamd-socket volume (deploy/clamav/clamd.conf). freshclam keeps the
# signatures current and tells clamd (NotifyClamd, over the same socket); clamd refuses
# to start without signatures, so a first download comes first when there are none.
set -eu
if [ ! -e /var/lib/clamav/main.cvd ] && [ ! -e /var/lib/clamav/main.cld ]; then
    freshclam --foreground --stdout
fi
freshclam --daemon --foreground --stdout --checks="${FRESHCLAM_CHECKS:-12}" &
exec clamd --foreground --config-file=/etc/clamav/clamd.conf
