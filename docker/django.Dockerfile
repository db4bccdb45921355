# The django target: the same project and pinned requirements as the local runtime, served by
# uvicorn (ASGI). docker/django-wsgi.Dockerfile builds the same project and venv for gunicorn.
# BASE defaults to the official image; where no registry is reachable the harness passes a local
# equivalent built from Debian (docker/bases/). The builder stage installs the requirements; it
# alone sees .bench-build/ (a CA bundle the harness adds when the host reaches PyPI through a
# TLS-inspecting proxy), so nothing of it reaches the final image. psycopg comes as psycopg-binary
# (its own libpq in the wheel), so the image needs no libpq or compiler; the WebSocket stack needs
# none either: websockets and msgpack (channels_redis's format) install as binary wheels, channels,
# channels_redis and redis-py are pure Python. Redis itself is a service of the run (REDIS_URL),
# never part of this image.
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
# DATABASE_URL comes from the harness when a scenario needs the database, REDIS_URL (the channel
# layer of /ws/broadcast) when one needs Redis; DB_POOL_SIZE is the pool's size per worker process
# (the harness sets it from target.json). --ws websockets-sansio as in target.json's start command.
# `ulimit -n "$(ulimit -Hn)"`: the soft open-files limit raised to the hard one, which Node and Deno
# do by themselves at start and Python does not. Each WebSocket holds a descriptor, and an engine
# may start containers with a soft limit of 1024 (recent Docker and containerd releases leave it to
# systemd's default, 1024 soft, 524288 hard), which would cap a uvicorn worker at ~1000 clients;
# raising soft up to hard needs no privilege. Locally the target inherits the harness's limits,
# which Node has already raised.
ENV HOST=0.0.0.0 PORT=8000 WORKERS=1 DB_POOL_SIZE=10 DJANGO_SETTINGS_MODULE=benchproject.settings
EXPOSE 8000
CMD ["sh", "-c", "ulimit -n \"$(ulimit -Hn)\"; exec /app/.venv/bin/uvicorn benchproject.asgi:application --host \"$HOST\" --port \"$PORT\" --workers \"$WORKERS\" --loop uvloop --http httptools --ws websockets-sansio --no-access-log --log-level warning"]
