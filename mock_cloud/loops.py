"""What an lblab process runs on: its event loop and its garbage collector.

The loop: uvloop where it exists (Linux, macOS), asyncio's own elsewhere. uvloop's transports do the
balancer's socket I/O in C; in `lblab serve` that is about a sixth less CPU per proxied request
(BENCHMARKS.md, "Guests"). Nothing in the cloud depends on which loop it gets.
"""

from __future__ import annotations

import asyncio
import gc

# Python collects its youngest objects after every 700 allocations of containers. The console makes and
# drops tens of thousands per frame (styles, strips, segments, messages) and the balancer thousands per
# second: those collections were a sixth of the console's CPU in a walk through the ALB lab (3.7 of
# 21.3 s), and a full one the longest pause of a page switch (BENCHMARKS.md, "Console latency from the
# terminal").
YOUNG_COLLECTION_EVERY = 10_000


def new_event_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:  # Windows: uvloop does not exist there
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def tune_collector() -> None:
    """Collect less often, and leave what exists now (the imported modules, a console's first screens) out of
    every later full collection: it lives as long as the process. Call it once, when a process has started."""
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION_EVERY, 20, 100)
