"""Settings for the benchmark's Django target: a production-style JSON API.

DEBUG is off and the middleware a JSON API keeps in production is kept. Sessions, auth, CSRF and
messages are left out because this API has no users, forms or cookies (a JSON API behind token
auth would not run them either); the admin and its apps go with them.
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "benchmark-only-not-a-secret")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]

INSTALLED_APPS = [
    "django.contrib.contenttypes",
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

# The database arrives with the database scenario (DATABASE_URL); /json needs none.
DATABASES = {}

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
