"""Settings for the django-wsgi target: the same project served by gunicorn (gthread workers) with
sync views and persistent connections, as TechEmpower's Django and most production Django run."""

from .database import connection_settings
from .settings import *  # noqa: F403 (the shared settings, then what differs under WSGI)

ROOT_URLCONF = "benchproject.urls_wsgi"
WSGI_APPLICATION = "benchproject.wsgi.application"

# WSGI cannot serve WebSockets: no Channels app and no channel layer under gunicorn.
INSTALLED_APPS = [app for app in INSTALLED_APPS if app != "channels"]  # noqa: F405
CHANNEL_LAYERS = {}

# Persistent connections: each of gunicorn's threads (DB_POOL_SIZE per worker process, see
# gunicorn.conf.py) keeps its own connection open across requests (CONN_MAX_AGE = None), so a worker
# holds at most DB_POOL_SIZE connections and a request never waits for one.
# No CONN_HEALTH_CHECKS: they cost a `SELECT 1` round trip before the first query of every request
# (an extra query per request in the database's counts, and throughput). The database is a local
# service that lives as long as the run; should a connection break anyway, that request fails and
# Django closes the connection when the request ends (errors_occurred), so the next one reconnects.
_connection = connection_settings()
DATABASES = (
    {"default": {**_connection, "CONN_MAX_AGE": None, "CONN_HEALTH_CHECKS": False}}
    if _connection
    else {}
)
