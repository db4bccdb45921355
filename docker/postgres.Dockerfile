# PostgreSQL with the benchmark's schema and data (docker/postgres/init.sql), for the docker
# runtime's database scenario. Build context: docker/postgres/. The official image runs the init
# script on first start and runs as the postgres user.
ARG BASE=postgres:18
FROM ${BASE}
ENV POSTGRES_USER=bench POSTGRES_PASSWORD=bench POSTGRES_DB=bench
COPY init.sql /docker-entrypoint-initdb.d/10-init.sql
