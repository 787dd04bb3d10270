"""How soon Ctrl-C stops fastloss's long calls.

    python -m bench.bench_interrupt [--repeat 5] [--threads N] [--json PATH]

Each call below runs for seconds to hours uninterrupted (tests/test_interrupt.py holds the
list). SIGINT is sent 0.5 s into the call (1 s for the batch losses, whose Gram matrix NumPy
computes first), from a timer thread, as a terminal's Ctrl-C would; the latency is the time from the signal to the KeyboardInterrupt reaching the caller.
Target: under 1 s (the issue), every run.
"""

from __future__ import annotations

import os
import signal
import threading
import time

import numpy as np

from fastloss.bench._harness import Report, bench_parser, start_bench
from tests.test_interrupt import LONG_CALLS


def latency_ms(delay: float, call) -> float:
    sent: list[float] = []

    def interrupt() -> None:
        sent.append(time.perf_counter())
        os.kill(os.getpid(), signal.SIGINT)

    timer = threading.Timer(delay, interrupt)
    timer.start()
    try:
        call()
    except KeyboardInterrupt:
        return (time.perf_counter() - sent[0]) * 1e3
    finally:
        timer.cancel()
    msg = "the call ended before the signal"
    raise RuntimeError(msg)


def main(argv: list[str] | None = None) -> Report:
    args = bench_parser(__doc__, repeat=5, json_name=None).parse_args(argv)
    info, _ = start_bench(args, peers=())
    report = Report("Ctrl-C latency: SIGINT to KeyboardInterrupt (ms)",
                    ["call", "median ms", "max ms", "runs"])
    for name, (delay, call) in LONG_CALLS.items():
        times = [latency_ms(max(delay, 0.5), call) for _ in range(args.repeat)]
        report.add(name, float(np.median(times)), float(np.max(times)), len(times))
        print(f"  {name:<28} done", flush=True)
    print()
    report.publish(args.json, info)
    return report


if __name__ == "__main__":
    main()
