"""Sync views of the django-wsgi target (gunicorn, gthread): the same endpoints as views.py, as
most production Django runs them, each request in one of gunicorn's threads with that thread's
persistent connection (settings_wsgi.py)."""

from django.http import HttpResponse, JsonResponse
from django.shortcuts import render

from .models import Fortune, World
from .views_common import (
    distinct_random_ids,
    fortunes_with_extra,
    needs_database,
    query_count,
    random_id,
    world_json,
)


def health(request):
    return HttpResponse("ok", content_type="text/plain")


def json(request):
    # A new dict serialized per request, as TechEmpower's rules require.
    return JsonResponse({"message": "Hello, World!"})


@needs_database
def db(request):
    world = World.objects.get(id=random_id())
    return JsonResponse(world_json(world))


@needs_database
def queries(request):
    # One query per row (TechEmpower: no IN clause).
    worlds = [World.objects.get(id=random_id()) for _ in range(query_count(request))]
    return JsonResponse([world_json(w) for w in worlds], safe=False)


@needs_database
def fortunes(request):
    rows = fortunes_with_extra(list(Fortune.objects.all()))
    return render(request, "world/fortunes.html", {"fortunes": rows})


@needs_database
def updates(request):
    worlds = [World.objects.get(id=i) for i in distinct_random_ids(query_count(request))]
    for world in worlds:
        world.randomnumber = random_id()
    # One batched UPDATE (TechEmpower allows batching the writes), in a transaction.
    World.objects.bulk_update(worlds, ["randomnumber"])
    return JsonResponse([world_json(w) for w in worlds], safe=False)
