# The kit image: what the harness runs on another host (issue 21), where nothing but an engine can
# be assumed: the Bun binary the harness runs its load generator with, the harness's worker programs
# at /kit laid out as in the repository, and the npm packages they import. Built on this machine
# (harness/hosts/kit-image.ts puts those files in the context's kit/ folder) and shipped to the
# hosts, which reach no registry.
ARG BASE=localhost/bench-local/debian:trixie-slim
FROM ${BASE}
COPY kit/ /kit/
WORKDIR /kit
# Fails the build here, not on a host, if the binary does not run on this base.
RUN ["/kit/bun", "--version"]
ENTRYPOINT ["/kit/bun", "--no-install", "--no-env-file"]
