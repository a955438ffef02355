"""Latency (p50/p99) and throughput of POST /v1/code on a real companion with 10,000 entries,
at 1 and 64 concurrent connections, through a signing client (loopback only, bounded loops).

One connection: a blocking http.client loop (the lightest client). 64 connections: wrk (Debian's
`wrk`, C, replaying pre-signed requests: bench/wrk_signed.lua) when installed, so that the load
generator does not eat the companion's CPU. The aiohttp client's figures follow for comparison; it
competes with the companion for the same two cores.

Run: .venv/bin/python bench/api_load.py [--entries 10000] [--requests 3000] [--seconds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

import _companion  # noqa: E402
from harness import protoclient as pc  # noqa: E402


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


def run_sync(client, ids, total: int) -> dict:
    """One keep-alive connection driven by blocking http.client: the lightest Python client, so
    the latency printed is the companion's (wrk's own single-connection latency figures are not
    self-consistent here: its mean exceeds wall time / requests)."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", client.port)
    latencies, errors = [], 0
    start_all = time.perf_counter()
    for _ in range(total):
        body = json.dumps({"entry_id": random.choice(ids)}).encode()
        headers = client.signed_headers("/v1/code", body)
        headers.pop("Host")
        start = time.perf_counter()
        conn.request("POST", "/v1/code", body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        latencies.append(time.perf_counter() - start)
        errors += resp.status != 200 or not data.startswith(b'{"entry_id"')
    wall = time.perf_counter() - start_all
    conn.close()
    latencies.sort()
    return {
        "concurrency": 1,
        "requests": total,
        "errors": errors,
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(latencies[int(total * 0.99) - 1] * 1000, 2),
        "req_per_s": round(total / wall),
    }


def run_wrk(client, ids, concurrency: int, seconds: int, tmp: Path) -> dict:
    """Pre-sign enough requests for `seconds` at a generous rate, then let wrk replay them."""
    count = 12_000 * seconds if concurrency > 1 else 6_000 * seconds
    lines = []
    for _ in range(count):
        body = json.dumps({"entry_id": random.choice(ids)}).encode()
        h = client.signed_headers("/v1/code", body)
        lines.append("\t".join([body.decode(), h["X-OTPC-Ts"], h["X-OTPC-Nonce"], h["X-OTPC-Sig"]]))
    reqs = tmp / f"signed-{concurrency}.tsv"
    reqs.write_text("\n".join(lines) + "\n")
    threads = min(2, concurrency)
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{concurrency}", f"-d{seconds}s", "--latency",
         "-s", str(ROOT / "bench" / "wrk_signed.lua"), f"http://127.0.0.1:{client.port}",
         "--", str(reqs), str(threads), client.origin, client.client_id],
        capture_output=True, text=True, timeout=seconds + 60, check=True,
    ).stdout
    if "--verbose" in sys.argv:
        print(out)
    result = next(line for line in out.splitlines() if line.startswith("RESULT "))
    total, duration, p50_us, p99_us, bad = result.split()[1:]
    if int(total) > count:
        raise SystemExit("wrk ran out of pre-signed requests; raise the count")
    return {
        "concurrency": concurrency,
        "requests": int(total),
        "errors": int(bad),
        "p50_ms": round(float(p50_us) / 1000, 2),
        "p99_ms": round(float(p99_us) / 1000, 2),
        "req_per_s": round(int(total) / float(duration)),
    }


def report(tool: str, r: dict) -> None:
    print(f"{tool:>11}: code endpoint, {r['concurrency']:>2} connection(s): {r['requests']} requests, "
          f"p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms, {r['req_per_s']} req/s, "
          f"errors {r['errors']}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=3_000, help="per run of the Python client")
    parser.add_argument("--seconds", type=int, default=5, help="per run of wrk")
    parser.add_argument("--verbose", action="store_true", help="print wrk's own report")
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
            report("http.client", run_sync(client, ids, args.requests * 3))
            if shutil.which("wrk"):
                report("wrk", run_wrk(client, ids, 64, args.seconds, Path(tmp)))
            else:
                print("wrk not installed (apt-get install wrk): Python clients only")
            for concurrency in (1, 64):
                report("aiohttp", asyncio.run(run(client, ids, concurrency, args.requests)))
        finally:
            _companion.stop(proc)


if __name__ == "__main__":
    main()
