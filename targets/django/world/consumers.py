"""WebSocket consumers of the django target (Django Channels, on the same uvicorn as its HTTP).

Both are AsyncWebsocketConsumer, not the sync WebsocketConsumer: a sync consumer runs every handler
(connect, each received message, each group message) in a thread through sync_to_async, a thread
hop and a context switch per message on top of the work, for consumers that do no blocking work
(no ORM) at all. The async consumer runs them on the event loop, which is what Channels' docs
advise when the code is async-safe, and it can await the channel layer directly.

The contract (targets/CONTRACT.md): /ws/echo sends each text message back to its sender, in order;
/ws/broadcast relays each text message to every client connected to /ws/broadcast, the sender
included, exactly once. Binary messages are passed on the same way.
"""

import logging

from channels.generic.websocket import AsyncWebsocketConsumer

logger = logging.getLogger(__name__)

# The one group every /ws/broadcast client joins, across all worker processes (the group lives in
# Redis, so a message sent in one uvicorn worker reaches the clients of the others).
BROADCAST_GROUP = "broadcast"

# Close code 1011 ("internal error": the server cannot fulfil the request), with the reason in the
# close frame, so a client sees why.
NO_LAYER_CODE = 1011
NO_LAYER_REASON = "broadcast needs a Redis channel layer: REDIS_URL is not set"


class EchoConsumer(AsyncWebsocketConsumer):
    # No channel layer: echo talks only to its own client. With a layer (when REDIS_URL is set),
    # Channels gives every consumer a channel name and keeps a receive on the layer pending beside
    # the socket for its whole life; an alias that CHANNEL_LAYERS lacks makes get_channel_layer()
    # return None, so echo neither needs Redis nor pays for it, with or without REDIS_URL.
    channel_layer_alias = "none"

    async def receive(self, text_data=None, bytes_data=None):
        await self.send(text_data=text_data, bytes_data=bytes_data)


class BroadcastConsumer(AsyncWebsocketConsumer):
    # The default channel layer: channels_redis's RedisChannelLayer when REDIS_URL is set
    # (settings.py). Without it, no layer at all: Channels' in-memory layer is documented as not
    # for production (and it cannot reach the clients of other worker processes), so there is no
    # silent fallback; the connection is accepted and closed at once with the reason.
    async def connect(self):
        if self.channel_layer is None:
            logger.warning("/ws/broadcast refused: %s", NO_LAYER_REASON)
            await self.accept()
            await self.close(code=NO_LAYER_CODE, reason=NO_LAYER_REASON)
            return
        # Join before accepting: once a client's handshake completes it is in the group, so it
        # receives every message sent after that, its own included.
        await self.channel_layer.group_add(BROADCAST_GROUP, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        if self.channel_layer is not None:
            await self.channel_layer.group_discard(BROADCAST_GROUP, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        await self.channel_layer.group_send(
            BROADCAST_GROUP,
            {"type": "broadcast.message", "text": text_data, "bytes": bytes_data},
        )

    # Called for each group message ("type": "broadcast.message"), in every member's consumer.
    async def broadcast_message(self, event):
        await self.send(text_data=event["text"], bytes_data=event["bytes"])
