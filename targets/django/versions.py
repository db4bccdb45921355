"""Prints the versions of every runtime and framework a target runs on, as one JSON object.

`versions.py` (or `versions.py asgi`) is the django target's stack (uvicorn, psycopg's pool, and
for its WebSockets: the websockets package under uvicorn, Channels, channels_redis, redis-py);
`versions.py wsgi` is django-wsgi's (gunicorn), which serves this same project.
"""

import json
import platform
import sys
from importlib.metadata import version

import django
import psycopg

servers = {
    "asgi": (
        "uvicorn", "uvloop", "httptools",
        # Django's pool (OPTIONS["pool"]) arrived in 5.1: with 4.2 there is none (settings.py).
        *(("psycopg-pool",) if django.VERSION >= (5, 1) else ()),
        "websockets", "channels", "channels-redis", "redis", "msgpack",
    ),
    "wsgi": ("gunicorn",),
}[sys.argv[1] if len(sys.argv) > 1 else "asgi"]

print(json.dumps({
    "python": platform.python_version(),
    "django": version("django"),
    # The driver, its implementation (binary: the C one from psycopg-binary) and the libpq it uses.
    "psycopg": f"{psycopg.__version__} ({psycopg.pq.__impl__})",
    "libpq": "{}.{}".format(*divmod(psycopg.pq.version(), 10000)),
    **{name: version(name) for name in servers},
}))
