"""Latency (p50/p99) and throughput of POST /v1/code on a real companion with 10,000 entries,
at 1 and 64 concurrent connections, through a signing client (loopback only, bounded loops).

Run: .venv/bin/python bench/api_load.py [--entries 10000] [--requests 3000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "server"))
sys.path.insert(0, str(ROOT / "bench"))

import _companion  # noqa: E402
import protoclient as pc  # noqa: E402


async def worker(session, client, ids, count, latencies, errors):
    url = f"http://127.0.0.1:{client.port}/v1/code"
    for _ in range(count):
        body = json.dumps({"entry_id": random.choice(ids)}).encode()
        headers = client.signed_headers("/v1/code", body)
        headers.pop("Host")
        start = time.perf_counter()
        async with session.post(url, data=body, headers=headers) as resp:
            data = await resp.read()
        latencies.append(time.perf_counter() - start)
        if resp.status != 200 or not data.startswith(b'{"entry_id"'):
            errors.append(resp.status)


async def run(client, ids, concurrency: int, total: int) -> dict:
    import aiohttp

    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    latencies: list[float] = []
    errors: list[int] = []
    async with aiohttp.ClientSession(connector=connector) as session:
        await worker(session, client, ids, min(50, total), [], [])  # warm up
        per = total // concurrency
        start = time.perf_counter()
        await asyncio.gather(*(worker(session, client, ids, per, latencies, errors)
                               for _ in range(concurrency)))
        wall = time.perf_counter() - start
    latencies.sort()
    return {
        "concurrency": concurrency,
        "requests": len(latencies),
        "errors": len(errors),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
        "req_per_s": round(len(latencies) / wall),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=3_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        vault = Path(tmp) / "bench.sqlite"
        t0 = time.perf_counter()
        ids = _companion.make_vault(vault, args.entries)
        print(f"vault with {len(ids)} entries built in {time.perf_counter() - t0:.1f} s")
        port = _companion.free_port()
        proc = _companion.start(vault, port)
        try:
            from companion.cli.control import ask

            client = pc.ProtoClient(port, name="bench")
            client.pair(ask(vault, {"op": "pair"})["code"])
            for concurrency in (1, 64):
                r = asyncio.run(run(client, ids, concurrency, args.requests))
                print(f"code endpoint, {r['concurrency']:>2} connection(s): {r['requests']} requests, "
                      f"p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms, {r['req_per_s']} req/s, "
                      f"errors {r['errors']}")
        finally:
            _companion.stop(proc)


if __name__ == "__main__":
    main()
