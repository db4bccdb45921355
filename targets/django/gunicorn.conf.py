"""gunicorn's settings for the django-wsgi target, from the environment the harness (or the image)
gives: HOST, PORT, WORKERS and DB_POOL_SIZE.

gthread workers: WORKERS processes (one per CPU given to the target), each with DB_POOL_SIZE
threads, and each thread keeps one persistent database connection (settings_wsgi.py), so the
threads are the connection pool. Connections beyond the busy threads wait in the worker's poller.
"""

import os

wsgi_app = "benchproject.wsgi:application"
bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WORKERS") or 1)
worker_class = "gthread"
threads = int(os.environ.get("DB_POOL_SIZE") or 10)
# Production logging: no access log (gunicorn's default), warnings and errors on stderr.
accesslog = None
loglevel = "warning"
# gunicorn >= 25 opens a control socket in ~/.gunicorn by default; this server is not administered
# at run time, and two instances (or an image user without a home) must not share or need one.
control_socket_disable = True
