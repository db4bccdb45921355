"""Async views of the django target (ASGI on uvicorn), with Django's async ORM.

The async ORM's calls (aget, abulk_update, async iteration) run the queries through
sync_to_async in the request's own thread, on a connection from psycopg's pool (settings.py).
"""

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


async def health(request):
    return HttpResponse("ok", content_type="text/plain")


async def json(request):
    # A new dict serialized per request, as TechEmpower's rules require.
    return JsonResponse({"message": "Hello, World!"})


@needs_database
async def db(request):
    world = await World.objects.aget(id=random_id())
    return JsonResponse(world_json(world))


@needs_database
async def queries(request):
    # One query per row, one after the other (TechEmpower: no IN clause).
    worlds = [await World.objects.aget(id=random_id()) for _ in range(query_count(request))]
    return JsonResponse([world_json(w) for w in worlds], safe=False)


@needs_database
async def fortunes(request):
    rows = fortunes_with_extra([fortune async for fortune in Fortune.objects.all()])
    return render(request, "world/fortunes.html", {"fortunes": rows})


@needs_database
async def updates(request):
    worlds = [await World.objects.aget(id=i) for i in distinct_random_ids(query_count(request))]
    for world in worlds:
        world.randomnumber = random_id()
    # One batched UPDATE (TechEmpower allows batching the writes), in a transaction.
    await World.objects.abulk_update(worlds, ["randomnumber"])
    return JsonResponse([world_json(w) for w in worlds], safe=False)
