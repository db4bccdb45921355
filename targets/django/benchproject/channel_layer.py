"""Channels' channel layer for the django target (CHANNEL_LAYERS), from REDIS_URL.

The layer carries /ws/broadcast's group (world/consumers.py) between consumers and between uvicorn
worker processes. The harness hands `REDIS_URL=redis://host:port/db` to targets only when a
scenario needs Redis; without it there is no channel layer at all (CHANNEL_LAYERS = {}), and
/ws/broadcast refuses its clients with the reason. There is deliberately no fallback to Channels'
InMemoryChannelLayer: its docs say it is not for production, and it cannot reach the clients of
other worker processes, so with WORKERS > 1 a broadcast would silently miss most clients. /health,
/json and /ws/echo need no layer.

channels_redis.core.RedisChannelLayer, not channels_redis.pubsub.RedisPubSubChannelLayer: it is
the layer Channels' docs configure ("channels_redis is the only official Django-maintained channel
layer supported for production use", with RedisChannelLayer as its example) and channels_redis's
README presents it first, while it calls the Pub/Sub layer "Beta, subject to breaking changes".
It also keeps group messages in Redis (a sorted set per worker process, bounded by capacity and
expiry below) until the worker takes them; Pub/Sub keeps nothing: what is published while a
worker's subscription reconnects is lost, and a worker that falls far behind is disconnected by
Redis's output-buffer limit for Pub/Sub clients.
"""

import os

REDIS_URL = os.environ.get("REDIS_URL", "")

# How the RedisChannelLayer delivers a group message: group_send writes ONE entry per worker
# process that has members (carrying the names of that process's member channels) into that
# process's sorted set in Redis; the process's receive loop pops it and puts it in the local
# queue of each member consumer, which sends it down its WebSocket.
#
# capacity (default 100): the most messages one of those sorted sets, and one consumer's local
# queue, may hold. Beyond it, group_send drops the message for that process WITHOUT an error (only
# an INFO log line), and a local queue drops its oldest message. With a default of 100, a
# broadcast load of more than 100 clients each with a message in flight (the sender waits for its
# own copy), or a burst of more than 100 messages faster than one worker drains them, would lose
# messages silently, which the contract (exactly once) forbids, and it would be a setting, not
# Channels, that lost them. Every worker's sorted set gets every group message, so 1000 covers
# 1000 clients in all each with a message in flight; it still bounds Redis memory (an entry is the
# message plus ~80 bytes per member in that process: 1000 entries for 1000 local members is
# ~80 MB at most per process) and the delay a backlog can build up before messages are shed.
CAPACITY = 1000
# expiry (default 60 s, kept): a message not taken within this many seconds is deleted unsent.
# 60 s is far beyond any delay a trial accepts, so it never turns a slow delivery into a loss
# during a measurement (a shorter one would hide overload as silent loss rather than show it as
# latency); it also lets the sorted set of a worker that has gone away expire.
EXPIRY = 60
# group_expiry (default 86400 s = 1 day, kept): a member that has not left the group by then is
# removed. It must exceed the longest connection (a client outliving it would silently stop
# receiving broadcasts); a day is longer than any run. Members leave the group when they
# disconnect (BroadcastConsumer.disconnect), also when uvicorn shuts down on SIGTERM; only the
# members of a worker that is killed (SIGKILL, a crash) stay, and group_send keeps writing to that
# worker's sorted set (up to capacity) until group_expiry or a new Redis.
GROUP_EXPIRY = 86400
# No client-side socket timeout (redis-py's default until 7.x): redis-py 8 made it 5 s, and the
# layer's receive loop blocks in BZPOPMIN for up to 5 s on the server, so the read times out
# right when Redis answers and the consumers fail with TimeoutError (close 1011) every ~5 s
# while idle; channels_redis 4.3.0 does not set it (django/channels_redis#422; the proposed fix,
# #423, sets exactly this default). A dead Redis still fails fast: connecting keeps redis-py's
# 5 s connect timeout.
SOCKET_TIMEOUT = None
# The most Redis connections one worker process opens (redis-py's asyncio pool, one per layer per
# process). redis-py 8 made it 100 (it was unbounded, 2**31, until 7.x) and raises
# MaxConnectionsError instead of waiting. The layer holds a connection for each Redis command in
# progress, so every consumer in a layer call at the same moment holds one: a worker with more
# than ~100 clients connecting or broadcasting at once fails their handshakes (HTTP 500) and
# consumers (seen here with 300 clients on one worker). 10,000 is Redis's own default limit on
# clients (maxclients), so as with redis-py 7 the pool is never what refuses first.
MAX_CONNECTIONS = 10_000


def channel_layers(url: str = REDIS_URL) -> dict:
    """Django's CHANNEL_LAYERS for a redis:// (or rediss://, unix://) URL; {} without one."""
    if not url:
        return {}
    if url.split("://", 1)[0] not in ("redis", "rediss", "unix"):
        raise ValueError(f"REDIS_URL must be a redis:// URL, not {url.split('://', 1)[0]}://")
    return {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "address": url,
                        "socket_timeout": SOCKET_TIMEOUT,
                        "max_connections": MAX_CONNECTIONS,
                    }
                ],
                "capacity": CAPACITY,
                "expiry": EXPIRY,
                "group_expiry": GROUP_EXPIRY,
            },
        }
    }
