"""The django target's ASGI application: HTTP to Django's own ASGI handler (the async views, exactly
as without Channels), WebSocket to Channels' consumers (world/routing.py), both on one uvicorn.

No AllowedHostsOriginValidator or AuthMiddlewareStack around the WebSocket routes: an Origin check
protects cookie-authenticated browser sessions from cross-site WebSocket hijacking, and this API
has no sessions, users or cookies (settings.py leaves them out for HTTP too); the validator would
also refuse every client that sends no Origin header, as load generators and non-browser clients
do not.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchproject.settings")

# Django first: get_asgi_application() sets Django up (apps, settings) before anything imports
# models or consumers, as Channels' docs order it.
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from world.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": URLRouter(websocket_urlpatterns),
    }
)
