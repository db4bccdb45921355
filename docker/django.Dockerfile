# The django target: the same project and pinned requirements as the local runtime, served by
# uvicorn (ASGI). docker/django-wsgi.Dockerfile builds the same project and venv for gunicorn.
# BASE defaults to the official image; where no registry is reachable the harness passes a local
# equivalent built from Debian (docker/bases/). The builder stage installs the requirements; it
# alone sees .bench-build/ (a CA bundle the harness adds when the host reaches PyPI through a
# TLS-inspecting proxy), so nothing of it reaches the final image. psycopg comes as psycopg-binary
# (its own libpq in the wheel), so the image needs no libpq or compiler.
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
# DATABASE_URL comes from the harness when a scenario needs the database; DB_POOL_SIZE is the
# pool's size per worker process (the harness sets it from target.json).
ENV HOST=0.0.0.0 PORT=8000 WORKERS=1 DB_POOL_SIZE=10 DJANGO_SETTINGS_MODULE=benchproject.settings
EXPOSE 8000
CMD ["sh", "-c", "exec /app/.venv/bin/uvicorn benchproject.asgi:application --host \"$HOST\" --port \"$PORT\" --workers \"$WORKERS\" --loop uvloop --http httptools --no-access-log --log-level warning"]
