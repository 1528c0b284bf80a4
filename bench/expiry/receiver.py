# A cheap merchant webhook endpoint for bench/expiry/scale.sh: answers every POST with 200 over
# keep-alive HTTP/1.1 and counts what it got, by webhook type. One asyncio loop, no framework.
# Usage: python3 receiver.py PORT COUNTS_FILE   (COUNTS_FILE is rewritten once a second)
import asyncio
import json
import os
import re
import sys

port, counts_file = int(sys.argv[1]), sys.argv[2]
counts = {}
TYPE = re.compile(rb'"type":"([a-z_.]+)"')
OK = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"


async def handle(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            body = await reader.readexactly(length) if length else b""
            match = TYPE.search(body)
            kind = match.group(1).decode() if match else "other"
            counts[kind] = counts.get(kind, 0) + 1
            writer.write(OK)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def report():
    while True:
        await asyncio.sleep(1)
        with open(counts_file + ".tmp", "w") as f:
            json.dump(counts, f)
        os.replace(counts_file + ".tmp", counts_file)


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=1024)
    async with server:
        await asyncio.gather(server.serve_forever(), report())


asyncio.run(main())
