# The django-wsgi target: the django target's project (targets/django is the build context, see
# "project" in targets/django-wsgi/target.json) with the same pinned requirements and venv, served
# by gunicorn with gthread workers and sync views. gunicorn.conf.py reads HOST, PORT, WORKERS
# (processes) and DB_POOL_SIZE (threads per process, each with its persistent database connection).
# BASE defaults to the official image; where no registry is reachable the harness passes a local
# equivalent built from Debian (docker/bases/). The builder stage installs the requirements; it
# alone sees .bench-build/ (a CA bundle the harness adds when the host reaches PyPI through a
# TLS-inspecting proxy), so nothing of it reaches the final image.
ARG BASE=python:3.14-slim
FROM ${BASE} AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY requirements.txt ./
COPY .bench-build/ /tmp/bench-build/
RUN if [ -f /tmp/bench-build/ca.crt ]; then export PIP_CERT=/tmp/bench-build/ca.crt; fi; \
    python3 -m venv /app/.venv && /app/.venv/bin/pip install --no-input -q -r requirements.txt

FROM ${BASE}
ENV PYTHONUNBUFFERED=1
WORKDIR /app
COPY --from=builder /app/.venv /app/.venv
COPY manage.py versions.py gunicorn.conf.py ./
COPY benchproject ./benchproject
COPY world ./world
# Compile once at build time: the app runs as a user that cannot write __pycache__ here.
RUN /app/.venv/bin/python -m compileall -q /app
USER 10001:10001
# gunicorn keeps its worker heartbeat files in /tmp (writable by any user); its control socket is
# off (gunicorn.conf.py), so it needs no home directory.
ENV HOST=0.0.0.0 PORT=8000 WORKERS=1 DB_POOL_SIZE=10 DJANGO_SETTINGS_MODULE=benchproject.settings_wsgi
EXPOSE 8000
CMD ["/app/.venv/bin/gunicorn", "--config", "/app/gunicorn.conf.py"]
