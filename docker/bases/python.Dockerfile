# Local stand-in for python:3.14-slim, for hosts that reach no container registry: Debian trixie
# (Python 3.13, which Django 6 accepts) trimmed the way the slim images are.
ARG DEBIAN=localhost/bench-local/debian:trixie-slim
FROM ${DEBIAN}
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv ca-certificates \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/log/apt/* /var/log/dpkg.log \
           /usr/share/doc/* /usr/share/man/* /usr/share/info/* /usr/share/locale/* /usr/share/lintian
ENV LANG=C.UTF-8
CMD ["python3"]
