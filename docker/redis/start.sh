#!/bin/sh
# The container's command: the harness's redis.conf (REDIS_CONF) in a fresh folder of the
# container's own file system (gone with the container), then the server in the foreground as
# PID 1, so the stop signal (SIGTERM) reaches it.
set -eu
dir=$(mktemp -d /tmp/redis.XXXXXX)
printf '%s' "$REDIS_CONF" > "$dir/redis.conf"
exec redis-server "$dir/redis.conf" --port "$REDIS_PORT" --dir "$dir"
