"""The event loop the cloud runs on: uvloop where it exists (Linux, macOS), asyncio's own elsewhere.

uvloop's transports do the balancer's socket I/O in C; in `lblab serve` that is about a sixth less CPU
per proxied request (BENCHMARKS.md, "Guests"). Nothing in the cloud depends on which loop it gets.
"""

from __future__ import annotations

import asyncio


def new_event_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:  # Windows: uvloop does not exist there
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()
