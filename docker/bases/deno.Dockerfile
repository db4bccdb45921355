# Local stand-in for denoland/deno, for hosts that reach no container registry: Debian trixie
# with the Deno binary taken from the npm registry (the harness puts it in the context).
ARG DEBIAN=localhost/bench-local/debian:trixie-slim
FROM ${DEBIAN}
COPY deno /usr/bin/deno
RUN deno --version
CMD ["deno", "repl"]
