#!/bin/sh
# The container's command: a fresh cluster in the container's own file system (gone with the
# container), then the server in the foreground as PID 1, so the stop signal (SIGINT) reaches it.
# PG_INITDB_ARGS and PG_ARGS are space-separated single words (checked by the harness).
set -eu
dir=$(mktemp -d /tmp/pg.XXXXXX)
# shellcheck disable=SC2086 # word splitting is intended
initdb -D "$dir/data" $PG_INITDB_ARGS
# Clients on other hosts (the targets' and the harness's), when the harness names them.
[ -z "${PG_HBA:-}" ] || printf '%s\n' "$PG_HBA" | tr ';' '\n' >>"$dir/data/pg_hba.conf"
# shellcheck disable=SC2086
exec postgres -D "$dir/data" -p "$PG_PORT" -k "$dir" $PG_ARGS
