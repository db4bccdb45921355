"""The database connection from DATABASE_URL, shared by the ASGI and the WSGI settings.

The harness hands `DATABASE_URL=postgres://user:password@host:port/name` to targets only when a
scenario needs the database; without it the project has no database and the database views answer
500 with a message that says so (/health and /json never touch it).
"""

import os
from urllib.parse import unquote, urlsplit

DATABASE_URL = os.environ.get("DATABASE_URL", "")
# Connections each worker process holds at most (the harness sets it from target.json).
DB_POOL_SIZE = int(os.environ.get("DB_POOL_SIZE") or 10)


def connection_settings(url: str = DATABASE_URL) -> dict:
    """Django's DATABASES["default"] entry for a postgres:// URL, without the connection handling
    (CONN_MAX_AGE, pool), which each settings module chooses. Empty without a URL."""
    if not url:
        return {}
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise ValueError(f"DATABASE_URL must be a postgres:// URL, not {parts.scheme}://")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parts.path.lstrip("/")),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
    }
