#!/usr/bin/env python3
"""Append-to-output latency of `agentcli trace --follow`, and its idle cost.

A writer appends entries to a live session at a steady rate (each entry
written in two torn halves, as a busy logger may), noting when each write
completed; agentcli follows the file with `--format jsonl`; a reader notes
when each entry's line arrives. Reports latency percentiles with file
notifications and with polling, and the CPU agentcli used while idle.

This is a benchmark, not a test: it prints numbers and asserts nothing.

    cargo build --release
    python3 benches/follow_latency.py [--binary target/release/agentcli]
        [--entries 500] [--rate 100] [--poll-interval 250ms] [--idle 5]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time


def entry(i):
    return json.dumps({
        "timestamp": "2025-05-02T10:00:00Z", "type": "", "event_id": f"e{i}", "session_id": "bench",
        "agent_id": "planner", "hook": "AfterAgentRun",
        "agent_result": {"duration_ms": i, "output_state": {"data": {"i": i, "text": "x" * 200}, "meta": {"route": "writer"}}},
    }, indent=2)


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def percentile(values, p):
    values = sorted(values)
    k = min(len(values) - 1, max(0, round(p / 100 * (len(values) - 1))))
    return values[k]


def run(binary, mode, entries, rate, poll_interval, idle):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "bench.trace.json")
        with open(path, "w") as f:
            f.write("[\n")
        args = [binary, "trace", "--follow", "--format", "jsonl", "--poll-interval", poll_interval, path]
        if mode == "poll":
            args.insert(3, "--poll")
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        arrived = {}

        def read():
            for line in proc.stdout:
                now = time.monotonic()
                arrived[json.loads(line)["duration_ms"]] = now

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        time.sleep(0.5)
        # Idle: nothing written, agentcli waits.
        before = cpu_seconds(proc.pid)
        time.sleep(idle)
        idle_cpu = cpu_seconds(proc.pid) - before

        written = {}
        gap = 1.0 / rate
        with open(path, "a") as f:
            start = time.monotonic()
            for i in range(entries):
                text = ("" if i == 0 else ",\n") + entry(i) + "\n"
                half = len(text) // 2
                f.write(text[:half])
                f.flush()
                f.write(text[half:])
                f.flush()
                written[i] = time.monotonic()
                # Steady rate, not drifting.
                pause = start + (i + 1) * gap - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
        deadline = time.monotonic() + 10
        while len(arrived) < entries and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(2)
        proc.wait(timeout=10)
        lat = [(arrived[i] - written[i]) * 1000 for i in written if i in arrived]
        return {
            "mode": mode,
            "entries": entries,
            "received": len(arrived),
            "exit": proc.returncode,
            "p50_ms": percentile(lat, 50),
            "p90_ms": percentile(lat, 90),
            "p99_ms": percentile(lat, 99),
            "max_ms": max(lat),
            "idle_cpu_s": idle_cpu,
            "idle_s": idle,
        }


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--binary", default="target/release/agentcli")
    p.add_argument("--entries", type=int, default=500)
    p.add_argument("--rate", type=float, default=100, help="entries per second")
    p.add_argument("--poll-interval", default="250ms")
    p.add_argument("--idle", type=float, default=5, help="seconds of idle following measured")
    a = p.parse_args()
    if not os.path.exists(a.binary):
        sys.exit(f"{a.binary} not found: cargo build --release first")
    print(f"{a.entries} entries at {a.rate:g}/s, torn in two writes each; poll interval {a.poll_interval}")
    print(f"{'mode':<8}{'received':>10}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'max ms':>9}{'idle CPU':>16}{'exit':>6}")
    for mode in ("notify", "poll"):
        r = run(a.binary, mode, a.entries, a.rate, a.poll_interval, a.idle)
        idle = f"{r['idle_cpu_s'] * 1000:.0f} ms/{r['idle_s']:g} s"
        print(f"{r['mode']:<8}{r['received']:>6}/{r['entries']:<3}{r['p50_ms']:>9.2f}{r['p90_ms']:>9.2f}"
              f"{r['p99_ms']:>9.2f}{r['max_ms']:>9.2f}{idle:>16}{r['exit']:>6}")


if __name__ == "__main__":
    main()
