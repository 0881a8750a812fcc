#!/usr/bin/env python3
"""A TCP delay proxy for bench/slow-link.sh (stdlib only, asyncio).

    delay_proxy.py --listen 127.0.0.1:0 --target HOST:PORT --rtt-ms 40 --window 131072

Every accepted connection is relayed to the target. Each chunk read from one
side is held for half the round-trip time before it is written to the other
side (so a request and its answer cost one RTT), and each direction of each
connection keeps at most one window of bytes in flight: a byte occupies the
window from the moment it is read until half an RTT after it was delivered
(the time its acknowledgement would need to come back), and reading stops
while the window is full.

What it models: per-connection throughput = window / RTT, the bound that the
TCP window puts on one connection of a long link. It does not model loss,
congestion control, slow start or reordering; the link rate itself comes from
the tbf qdisc of the namespace the bench sets up. The first stdout line is
`listening on HOST:PORT`.
"""

import argparse
import asyncio
import sys

CHUNK = 16 * 1024


class Window:
    """Bytes in flight on one direction of one connection."""

    def __init__(self, size):
        self.size = size
        self.used = 0
        self.cond = asyncio.Condition()

    async def take(self, n):
        async with self.cond:
            await self.cond.wait_for(lambda: self.used == 0 or self.used + n <= self.size)
            self.used += n

    async def give(self, n):
        async with self.cond:
            self.used -= n
            self.cond.notify_all()


async def pump(reader, writer, half_rtt, window_size):
    """Relays reader -> writer with the delay and the window."""
    window = Window(window_size)
    queue = asyncio.Queue()
    loop = asyncio.get_running_loop()

    async def release(n, at):
        await asyncio.sleep(max(0.0, at - loop.time()))
        await window.give(n)

    async def deliver():
        while True:
            item = await queue.get()
            if item is None:
                break
            due, data = item
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            writer.write(data)
            await writer.drain()
            # The acknowledgement travels back for another half RTT.
            loop.create_task(release(len(data), loop.time() + half_rtt))
        if writer.can_write_eof():
            writer.write_eof()

    sender = loop.create_task(deliver())
    try:
        while True:
            await window.take(CHUNK)
            data = await reader.read(CHUNK)
            if not data:
                await window.give(CHUNK)
                break
            await window.give(CHUNK - len(data))
            queue.put_nowait((loop.time() + half_rtt, data))
    except (ConnectionError, OSError):
        pass
    finally:
        queue.put_nowait(None)
        try:
            await sender
        except (ConnectionError, OSError):
            pass


async def handle(client_r, client_w, args):
    try:
        server_r, server_w = await asyncio.open_connection(args.host, args.port)
    except OSError:
        client_w.close()
        return
    half = args.rtt_ms / 2000.0
    await asyncio.gather(
        pump(client_r, server_w, half, args.window),
        pump(server_r, client_w, half, args.window),
        return_exceptions=True,
    )
    for w in (client_w, server_w):
        try:
            w.close()
        except OSError:
            pass


async def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--listen", default="127.0.0.1:0")
    p.add_argument("--target", required=True)
    p.add_argument("--rtt-ms", type=float, required=True)
    p.add_argument("--window", type=int, default=128 * 1024)
    args = p.parse_args()
    lh, lp = args.listen.rsplit(":", 1)
    args.host, port = args.target.rsplit(":", 1)
    args.port = int(port)
    server = await asyncio.start_server(lambda r, w: handle(r, w, args), lh, int(lp))
    addr = server.sockets[0].getsockname()
    print(f"listening on {addr[0]}:{addr[1]}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
