# The deno target: `deno serve --parallel` on the base image's Deno 2, with postgres.js and
# node-redis (broadcasts across isolates when REDIS_URL is set) from npm.
# package.json also pins the deno npm package, which the local runtime runs; here the image's own
# Deno runs the app, so the builder drops that package and installs the rest into node_modules
# (Deno uses a node_modules folder next to a package.json as it is). The builder stage alone sees
# .bench-build/ (a CA bundle for hosts behind a TLS-inspecting proxy).
ARG BASE=denoland/deno:2.9.6
FROM ${BASE} AS builder
ENV DENO_NO_UPDATE_CHECK=1 DENO_NO_PROMPT=1 DENO_DIR=/tmp/deno-build
WORKDIR /app
COPY package.json ./
COPY .bench-build/ /tmp/bench-build/
RUN if [ -f /tmp/bench-build/ca.crt ]; then export DENO_CERT=/tmp/bench-build/ca.crt; fi; \
    deno remove deno && deno install

FROM ${BASE}
WORKDIR /app
COPY --from=builder /app/package.json ./
COPY --from=builder /app/node_modules ./node_modules
COPY main.ts ./
USER 10001:10001
# DENO_DIR: a folder the app's user can write (Deno keeps its compile and code caches there).
ENV HOST=0.0.0.0 PORT=8000 WORKERS=1 DENO_NO_UPDATE_CHECK=1 DENO_NO_PROMPT=1 DENO_DIR=/tmp/deno
EXPOSE 8000
# --allow-net and --allow-env: postgres.js and node-redis open their connections and read
# DATABASE_URL, REDIS_URL and libpq's PG* variables, main.ts reads WORKERS; `deno serve` alone may
# only listen.
CMD ["sh", "-c", "DENO_JOBS=\"$WORKERS\" exec deno serve --parallel --allow-net --allow-env --host \"$HOST\" --port \"$PORT\" main.ts"]
