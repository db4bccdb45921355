# The node-socketio target: Socket.IO 4 on node:http with cluster, on the base image's Node.js 24.
# --omit=optional skips the Node binary packages that the local runtime uses: the image's own Node
# runs the app. The builder stage alone sees .bench-build/ (a CA bundle for hosts behind a
# TLS-inspecting proxy).
ARG BASE=node:24-slim
FROM ${BASE} AS builder
WORKDIR /app
COPY package.json package-lock.json ./
COPY .bench-build/ /tmp/bench-build/
RUN if [ -f /tmp/bench-build/ca.crt ]; then export NODE_EXTRA_CA_CERTS=/tmp/bench-build/ca.crt; fi; \
    npm ci --omit=optional --omit=dev --no-audit --no-fund --loglevel=error

FROM ${BASE}
ENV NODE_ENV=production
WORKDIR /app
COPY --from=builder /app/node_modules ./node_modules
COPY package.json server.js versions.js ./
USER 10001:10001
# REDIS_URL, when a scenario needs Redis, comes from the harness at run time.
ENV HOST=0.0.0.0 PORT=8080 WORKERS=1
EXPOSE 8080
CMD ["node", "server.js"]
