# Redis for the docker runtime: Debian trixie's own redis-server package on the harness's Debian
# base. Build context: docker/redis/. The image holds no data and reads no distribution config:
# every container writes the redis.conf the harness passes in REDIS_CONF (from
# harness/services/redis-config.ts, the same text as the local runtime's) to a fresh folder in its
# own file system and runs the server on REDIS_PORT. apt fetches from the base's mirror over plain
# HTTP (its packages are signed), so no CA bundle is needed.
ARG BASE=debian:trixie-slim
FROM ${BASE}
ENV DEBIAN_FRONTEND=noninteractive
# The package's post-install cannot start a system redis here (no init in a build), and the image
# runs only the start script's server.
RUN apt-get update \
 && apt-get install -y --no-install-recommends redis-server \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/log/apt/* /var/log/dpkg.log \
           /usr/share/doc/* /usr/share/man/* /usr/share/info/* /usr/share/locale/* /usr/share/lintian
COPY start.sh /usr/local/bin/bench-redis
ENV REDIS_PORT=6379 REDIS_CONF='bind "127.0.0.1"'
# The package's unprivileged user, as the local runtime's server when the harness is root.
USER redis
# SIGTERM (the default, stated): Redis shuts down at once, as there is nothing to save.
STOPSIGNAL SIGTERM
CMD ["/bin/sh", "/usr/local/bin/bench-redis"]
