# PostgreSQL for the docker runtime: Debian trixie's own package (PostgreSQL 17, pg_stat_statements
# included) on the harness's Debian base. Build context: docker/postgres/. The image holds no
# cluster: every container makes a fresh one (start.sh) with the initdb options and server settings
# the harness passes in PG_INITDB_ARGS and PG_ARGS (harness/services/postgres-config.ts, the same as
# the local runtime's); the harness then seeds it through the client. apt fetches from the base's
# mirror over plain HTTP (its packages are signed), so no CA bundle is needed.
ARG BASE=debian:trixie-slim
FROM ${BASE}
ENV DEBIAN_FRONTEND=noninteractive
# postgresql-common would create a "main" cluster at install: it is not wanted (nor its 40 MB).
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-common \
 && sed -ri 's/^#?\s*create_main_cluster\b.*$/create_main_cluster = false/' /etc/postgresql-common/createcluster.conf \
 && apt-get install -y --no-install-recommends postgresql-17 \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/log/apt/* /var/log/dpkg.log \
           /usr/share/doc/* /usr/share/man/* /usr/share/info/* /usr/share/locale/* /usr/share/lintian
COPY start.sh /usr/local/bin/bench-postgres
ENV PATH=/usr/lib/postgresql/17/bin:$PATH PG_PORT=5432 PG_ARGS="-c listen_addresses=127.0.0.1" PG_INITDB_ARGS="--username=bench --auth=trust"
USER postgres
# Fast shutdown: SIGTERM would wait for every client (a target's pool) to disconnect.
STOPSIGNAL SIGINT
CMD ["/bin/sh", "/usr/local/bin/bench-postgres"]
