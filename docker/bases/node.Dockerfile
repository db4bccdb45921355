# Local stand-in for node:<major>-slim, for hosts that reach no container registry: Debian trixie
# with the Node.js binary and npm taken from the npm registry (the harness puts them in the context),
# laid out as in the official image. Node.js 25 and later link libatomic (the official slim images
# carry it), so it is installed here as there.
ARG DEBIAN=localhost/bench-local/debian:trixie-slim
FROM ${DEBIAN}
RUN apt-get update \
 && apt-get install -y --no-install-recommends libatomic1 \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/log/apt/* /var/log/dpkg.log /usr/share/doc/* /usr/share/man/*
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && node --version && npm --version
CMD ["node"]
