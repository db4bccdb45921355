# Local stand-in for python:3.x-slim, for hosts that reach no container registry: a trimmed Debian
# (as the slim images are) with its own Python: trixie's 3.13 (Django 6 needs >= 3.12), or
# bookworm's 3.11 for the versions that stop below 3.13 (Django 4.2). DEBIAN names which.
ARG DEBIAN=localhost/bench-local/debian:trixie-slim
FROM ${DEBIAN}
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv ca-certificates \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/log/apt/* /var/log/dpkg.log \
           /usr/share/doc/* /usr/share/man/* /usr/share/info/* /usr/share/locale/* /usr/share/lintian
ENV LANG=C.UTF-8
CMD ["python3"]
