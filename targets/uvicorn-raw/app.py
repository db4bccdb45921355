"""A bare ASGI application: the baseline that shows what uvicorn costs without any framework.

uvicorn adds the Server and Date headers; Content-Length is set here as any ASGI app must.
"""

import json

JSON_HEADERS = [(b"content-type", b"application/json")]
TEXT_HEADERS = [(b"content-type", b"text/plain")]


async def send_body(send, status, headers, body):
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [*headers, (b"content-length", str(len(body)).encode())],
    })
    await send({"type": "http.response.body", "body": body})


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    path = scope["path"]
    if path == "/json":
        # Serialized per request, as TechEmpower's rules require.
        await send_body(send, 200, JSON_HEADERS, json.dumps({"message": "Hello, World!"}).encode())
    elif path == "/health":
        await send_body(send, 200, TEXT_HEADERS, b"ok")
    else:
        await send_body(send, 404, TEXT_HEADERS, b"not found")
