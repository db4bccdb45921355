from django.http import HttpResponse, JsonResponse


async def health(request):
    return HttpResponse("ok", content_type="text/plain")


async def json(request):
    # A new dict serialized per request, as TechEmpower's rules require.
    return JsonResponse({"message": "Hello, World!"})
