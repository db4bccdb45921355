# Local stand-in for node:24-slim, for hosts that reach no container registry: Debian trixie with
# the Node.js binary and npm taken from the npm registry (the harness puts them in the context),
# laid out as in the official image.
ARG DEBIAN=localhost/bench-local/debian:trixie-slim
FROM ${DEBIAN}
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && node --version && npm --version
CMD ["node"]
