"""Settings for the benchmark's Django targets: a production-style JSON and HTML API.

These are the ASGI settings (the django target: async views on uvicorn, the async ORM, psycopg's
connection pool, Django Channels for the WebSocket endpoints); settings_wsgi.py changes what
differs for the django-wsgi target (gunicorn, sync views, persistent connections, no WebSockets).

DEBUG is off and the middleware a JSON API keeps in production is kept. Sessions, auth, CSRF and
messages are left out because this API has no users, forms or cookies (a JSON API behind token
auth would not run them either); the admin and its apps go with them.
"""

import os
from pathlib import Path

import django

from .channel_layer import channel_layers
from .database import DB_POOL_SIZE, connection_settings

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "benchmark-only-not-a-secret")
DEBUG = False
# TARGET_ADDRESS: the address clients reach it at, when it runs on another host than the loader.
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]", *filter(None, [os.environ.get("TARGET_ADDRESS")])]

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    # Django Channels (WebSocket consumers, world/consumers.py), as its installation docs add it.
    "channels",
    "world",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # CommonMiddleware sets Content-Length on non-streaming responses.
    "django.middleware.common.CommonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "benchproject.urls"
ASGI_APPLICATION = "benchproject.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # The app's templates/ folder; with DEBUG off Django caches the compiled templates.
        "APP_DIRS": True,
        "OPTIONS": {},
    },
]

# The database arrives with the database scenario (DATABASE_URL); /health and /json need none, so
# without it there is no database and the database views say so (world/views_common.py). Django
# connects lazily: nothing is opened before the first database query.
#
# Async views: Django's documentation says that under ASGI persistent connections should be
# disabled and the backend's own pool used instead (the async ORM runs each request's queries in a
# thread of that request, and Django's connections belong to threads). psycopg's pool requires
# CONN_MAX_AGE = 0: a request takes a connection at its first query and gives it back when it ends
# (request_finished). min_size = max_size: a fixed pool of DB_POOL_SIZE connections per worker
# process, opened at the first database request, as the WSGI target's threads each keep one.
# No CONN_HEALTH_CHECKS: with it Django makes the pool check every connection it hands out, a
# round trip per request; a connection that broke is discarded when it is returned instead.
#
# Django 4.2 (a version of this target, versions/4.2) has no pool: OPTIONS["pool"] arrived in 5.1.
# Persistent connections stay disabled all the same (the async docs' advice), so with 4.2 it is
# CONN_MAX_AGE = 0 alone: each request opens a connection at its first query and closes it when it
# ends, which is all Django 4.2 itself offers under ASGI (the docs leave pooling to the backend or
# to a third-party pooler, which this target does not add).
_connection = connection_settings()
if not _connection:
    DATABASES = {}
elif django.VERSION >= (5, 1):
    DATABASES = {
        "default": {
            **_connection,
            "CONN_MAX_AGE": 0,
            "CONN_HEALTH_CHECKS": False,
            "OPTIONS": {"pool": {"min_size": DB_POOL_SIZE, "max_size": DB_POOL_SIZE}},
        }
    }
else:
    DATABASES = {"default": {**_connection, "CONN_MAX_AGE": 0, "CONN_HEALTH_CHECKS": False}}

# Channels' channel layer, which carries /ws/broadcast's group: channels_redis on REDIS_URL, or
# none at all without it (benchproject/channel_layer.py says why, and the layer's settings).
CHANNEL_LAYERS = channel_layers()

USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en-us"
USE_I18N = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
