#!/usr/bin/python3
"""PyTorch side of `deno task bench`: the same workloads, timed in PyTorch eager.

Run with Debian's interpreter (python3-torch), not a virtualenv's:

    /usr/bin/python3 scripts/bench/torch_workloads.py [--threads N] [--quick] [--json] [--only ffi]

Standalone it prints its own table. `deno task bench` starts it with --serve and asks for one sample
at a time over stdin/stdout (JSON lines, see scripts/bench/torch.ts), so the two sides can be
sampled in alternating rounds. A workload is a function running its op `n` times in a loop, like
the Deno side's; ids must match the `torch` field of the rows in scripts/bench/*.ts.
"""

import argparse
import json
import os
import statistics
import sys
import time


def make_workloads(torch):
    """group name -> {id: (code shown in reports, run(n))}"""
    a = torch.full((16, 16), 1.0)
    b = torch.full((16, 16), 2.0)
    z = torch.full((), 1.5)
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(512, 512, generator=gen)
    y = torch.randn(512, 512, generator=gen)

    def call(n, f=torch.get_num_threads):
        for _ in range(n):
            f()

    def neg0(n, z=z):
        for _ in range(n):
            -z

    def add16(n, a=a, b=b):
        for _ in range(n):
            a + b

    def zeros16(n, zeros=torch.zeros):
        for _ in range(n):
            zeros(16, 16)

    try:
        import numpy as np

        data = (np.arange(256, dtype=np.float32) / 256).reshape(16, 16)
        from_code = "torch.tensor(np_f32_16x16)"

        def from16(n, data=data, tensor=torch.tensor):
            for _ in range(n):
                tensor(data)

    except ImportError:
        import array

        buf = bytearray(array.array("f", [i / 256 for i in range(256)]).tobytes())
        from_code = "torch.frombuffer(buf, dtype=torch.float32).view(16, 16).clone()"

        def from16(n, buf=buf, frombuffer=torch.frombuffer, f32=torch.float32):
            for _ in range(n):
                frombuffer(buf, dtype=f32).view(16, 16).clone()

    def matmul512(n, x=x, y=y):
        for _ in range(n):
            x @ y

    return {
        "ffi": {
            "call": ("torch.get_num_threads()", call),
            "neg0": ("-z  (0-dim)", neg0),
            "add16": ("a + b  (16x16)", add16),
            "zeros16": ("torch.zeros(16, 16)", zeros16),
            "from16": (from_code, from16),
            "matmul512": ("x @ y  (512x512 f32)", matmul512),
        },
    }


def time_once(run, n):
    t0 = time.perf_counter_ns()
    run(n)
    return (time.perf_counter_ns() - t0) / n


def calibrate(run, target_ns):
    """Same rule as scripts/bench/harness.ts: double n until a call takes 1/8 of the target."""
    n = 1
    while True:
        t0 = time.perf_counter_ns()
        run(n)
        elapsed = time.perf_counter_ns() - t0
        if elapsed >= target_ns / 8 or n >= 1 << 30:
            iters = max(1, -(-n * int(target_ns) // max(elapsed, 1)))
            run(iters)  # warm-up at full size
            return iters
        n *= 2


def default_threads():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def serve(torch, workloads):
    flat = {wid: w for group in workloads.values() for wid, w in group.items()}
    iters = {}

    def send(obj):
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()

    send({
        "ready": True,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "workloads": {wid: code for wid, (code, _) in flat.items()},
    })
    for line in sys.stdin:
        try:
            req = json.loads(line)
            cmd = req.get("cmd")
            if cmd == "quit":
                return
            wid = req.get("id")
            if wid not in flat:
                send({"error": f"unknown workload {wid!r}"})
                continue
            run = flat[wid][1]
            if cmd == "calibrate":
                iters[wid] = calibrate(run, float(req["target_ns"]))
                send({"iters": iters[wid]})
            elif cmd == "sample":
                if wid not in iters:
                    send({"error": f"workload {wid!r} sampled before calibrate"})
                    continue
                send({"ns_per_op": time_once(run, iters[wid])})
            else:
                send({"error": f"unknown command {cmd!r}"})
        except Exception as e:  # keep serving; the client reports the message
            send({"error": f"{type(e).__name__}: {e}"})


def fmt_ns(ns):
    for limit, div, unit in ((1e3, 1, "ns"), (1e6, 1e3, "µs"), (1e9, 1e6, "ms")):
        if abs(ns) < limit:
            break
    else:
        div, unit = 1e9, "s"
    v = ns / div
    digits = 0 if abs(v) >= 100 else 1 if abs(v) >= 10 else 2
    return f"{v:.{digits}f} {unit}"


def standalone(torch, workloads, groups, target_ns, repeats, as_json):
    results = {}
    for g in groups:
        ws = workloads.get(g, {})
        if not ws:
            print(f"[{g}] no PyTorch workloads", file=sys.stderr)
            continue
        its = {wid: calibrate(run, target_ns) for wid, (_, run) in ws.items()}
        samples = {wid: [] for wid in ws}
        ids = list(ws)
        for r in range(repeats):  # round-robin, rotating, like the Deno harness
            for j in range(len(ids)):
                wid = ids[(r + j) % len(ids)]
                samples[wid].append(time_once(ws[wid][1], its[wid]))
        results[g] = {
            wid: {
                "code": ws[wid][0],
                "median": statistics.median(s),
                "min": min(s),
                "max": max(s),
                "iters": its[wid],
                "samples": s,
            }
            for wid, s in samples.items()
        }
    meta = {"torch": torch.__version__, "threads": torch.get_num_threads(), "rounds": repeats, "target_ns": target_ns}
    if as_json:
        print(json.dumps({**meta, "groups": results}, indent=2))
        return
    print(f"PyTorch {meta['torch']}, {meta['threads']} intra-op threads, median of {repeats} rounds")
    for g, rows in results.items():
        print(f"\n## {g}\n")
        width = max(len(r["code"]) for r in rows.values())
        for wid, r in rows.items():
            print(f"  {wid:<10} {r['code']:<{width}}  {fmt_ns(r['median']):>10}")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--threads", type=int, default=None, help="intra-op threads (default: all cores)")
    p.add_argument("--quick", action="store_true", help="fewer, shorter samples")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--only", default=None, help="comma-separated groups")
    p.add_argument("--serve", action="store_true", help="answer JSON-line requests on stdin (used by bench.ts)")
    args = p.parse_args()

    try:
        import torch
    except Exception as e:  # ImportError, or a broken install
        msg = f"cannot import torch in {sys.executable}: {e}"
        if args.serve:
            print(json.dumps({"error": msg}), flush=True)
        else:
            print(msg, file=sys.stderr)
        sys.exit(1)

    torch.set_num_threads(args.threads or default_threads())
    workloads = make_workloads(torch)
    if args.serve:
        serve(torch, workloads)
        return
    groups = args.only.split(",") if args.only else list(workloads)
    target_ns, repeats = (10e6, 5) if args.quick else (50e6, 11)
    standalone(torch, workloads, groups, target_ns, repeats, args.json)


if __name__ == "__main__":
    main()
