#!/usr/bin/python3
"""Memory per idle IRC connection: starts parleyd with the IRC gateway on loopback, reads its RSS,
registers N IRC clients that each JOIN #lobby, reads the RSS again once all are in, and prints the
difference per connection. Usage: bench/irc_idle.py PARLEYD [N ...] (default 1000 5000)."""

import asyncio
import os
import subprocess
import sys
import tempfile
import time

CONFIG = """[irc]
listen = 127.0.0.1:0
[server]
max_connections_per_address = 0
[flood]
messages_per_sec = 0
commands_per_sec = 0
"""


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


async def client(port, i, ready):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"NICK u{i}\r\nUSER u 0 * :u\r\nJOIN #lobby\r\n".encode())
    while True:
        line = await asyncio.wait_for(reader.readline(), 60)
        if not line:
            raise RuntimeError(f"u{i}: closed")
        if b" 366 " in line:
            break
    ready.append(1)
    return reader, writer


async def measure(parleyd, n):
    with tempfile.TemporaryDirectory() as tmp:
        with open(f"{tmp}/parley.ini", "w") as f:
            f.write(CONFIG)
        proc = subprocess.Popen([parleyd, "--config", f"{tmp}/parley.ini", "--listen",
                                 "127.0.0.1:0", "--port-file", f"{tmp}/port", "--data-dir",
                                 f"{tmp}/var", "--log-level", "warn"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(500):
                if os.path.exists(f"{tmp}/port") and "irc" in open(f"{tmp}/port").read():
                    break
                time.sleep(0.02)
            # the port file's line "irc irc off PORT"
            port = next(int(line.split()[3]) for line in open(f"{tmp}/port")
                        if line.startswith("irc "))
            await asyncio.sleep(0.5)
            before = rss_kib(proc.pid)
            ready, conns = [], []
            for start in range(0, n, 200):  # in batches, to stay under the listen backlog
                conns += await asyncio.gather(*(client(port, i, ready)
                                                for i in range(start, min(n, start + 200))))
            await asyncio.sleep(0.5)
            after = rss_kib(proc.pid)
            for _, w in conns:
                w.close()
            return before, after
        finally:
            proc.terminate()
            proc.wait(15)


def main():
    parleyd = sys.argv[1]
    counts = [int(x) for x in sys.argv[2:]] or [1000, 5000]
    print("| connections | RSS before | RSS with connections | per connection |")
    print("|---|---|---|---|")
    for n in counts:
        before, after = asyncio.run(measure(parleyd, n))
        per = (after - before) * 1024 / n
        print(f"| {n:,} | {before:,} KiB | {after:,} KiB | {per:,.0f} bytes |")


if __name__ == "__main__":
    main()
