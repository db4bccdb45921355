"""What the async views (views.py, django target) and the sync views (views_sync.py, django-wsgi
target) share: parameter parsing, row serialization, the request-time fortune and the answer when
there is no database."""

import functools
import inspect
import random

from django.conf import settings
from django.http import HttpResponse

from .models import Fortune

WORLD_ROWS = 10_000
MAX_QUERIES = 500


def random_id() -> int:
    return random.randint(1, WORLD_ROWS)


def distinct_random_ids(count: int) -> list[int]:
    # /updates writes its rows back in one batched UPDATE (bulk_update's CASE WHEN id = ...): a
    # repeated id would be written once, with one of its two new values, so the response could
    # disagree with the database. Distinct ids keep every returned row equal to what was written.
    return random.sample(range(1, WORLD_ROWS + 1), count)


def query_count(request) -> int:
    """TechEmpower's rule: missing, empty, non-integer or < 1 gives 1; more than 500 gives 500."""
    try:
        count = int(request.GET.get("queries", "1"))
    except ValueError:
        return 1
    return min(max(count, 1), MAX_QUERIES)


def world_json(world) -> dict:
    return {"id": world.id, "randomNumber": world.randomnumber}


def fortunes_with_extra(fortunes: list) -> list:
    fortunes.append(Fortune(id=0, message="Additional fortune added at request time."))
    fortunes.sort(key=lambda fortune: fortune.message)
    return fortunes


def _no_database() -> HttpResponse:
    return HttpResponse(
        "This endpoint needs the database, and DATABASE_URL is not set: the harness hands it to "
        "targets when a scenario uses the database.\n",
        status=500,
        content_type="text/plain; charset=utf-8",
    )


def _has_database() -> bool:
    # Without DATABASE_URL the settings give DATABASES = {}, which Django fills with its dummy
    # backend (every query raises ImproperlyConfigured).
    return settings.DATABASES["default"]["ENGINE"] != "django.db.backends.dummy"


def needs_database(view):
    """Answers 500 with a message instead of running the view when no DATABASE_URL was given;
    works for async and sync views."""
    if inspect.iscoroutinefunction(view):

        @functools.wraps(view)
        async def async_wrapper(request, *args, **kwargs):
            if not _has_database():
                return _no_database()
            return await view(request, *args, **kwargs)

        return async_wrapper

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not _has_database():
            return _no_database()
        return view(request, *args, **kwargs)

    return wrapper
