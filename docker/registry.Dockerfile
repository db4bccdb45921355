# A container registry for the deploy scenario (issue 22): Debian trixie's docker-registry package
# (the CNCF distribution registry, v2 API) on the harness's Debian base. Build context:
# docker/registry/. It holds nothing: every container stores what is pushed in its own file system,
# gone with it. No authentication and plain HTTP: the harness runs it for one run, and the engines
# that pull from it are told it is plain HTTP (tlsVerify=false). apt fetches from the base's mirror
# over plain HTTP (its packages are signed), so no CA bundle is needed.
ARG BASE=debian:trixie-slim
FROM ${BASE}
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends docker-registry \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/log/apt/* /var/log/dpkg.log \
           /usr/share/doc/* /usr/share/man/* /usr/share/info/* /usr/share/locale/* /usr/share/lintian
# The package's config asks for an htpasswd file; the harness's stores in the container and listens
# where REGISTRY_HTTP_ADDR (set by the harness) says.
COPY config.yml /etc/bench-registry.yml
ENV REGISTRY_HTTP_ADDR=127.0.0.1:5000
USER docker-registry
CMD ["/usr/bin/docker-registry", "serve", "/etc/bench-registry.yml"]
