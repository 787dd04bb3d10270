"""`python -m fastloss.bench`: fastloss's fused kernels against the NumPy reference (and
PyTorch on the CPU where it is installed), forward + gradient, side by side in one run.

    python -m fastloss.bench                  # short default, float32, all cores
    python -m fastloss.bench --size large --dtype float64 --threads 1 --json out.json
    python -m fastloss.bench --only focal
    python -m fastloss.bench --contention     # alone and beside a busy process, 1 thread and all
"""

from __future__ import annotations

import argparse

import numpy as np

import fastloss

from ._harness import Report, machine_info, ratio, time_call
from .cases import SIZES, all_cases
from .contention import contention_report


def main(argv: list[str] | None = None) -> Report:
    parser = argparse.ArgumentParser(prog="python -m fastloss.bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", choices=sorted(SIZES), default="short")
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    parser.add_argument("--threads", type=int, default=None, help="default: all cores")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per measurement")
    parser.add_argument("--no-torch", action="store_true", help="skip the PyTorch column")
    parser.add_argument("--only", metavar="TEXT",
                        help="time only the losses whose name contains TEXT (e.g. focal)")
    parser.add_argument("--json", help="also write the results to this JSON file")
    parser.add_argument("--contention", action="store_true",
                        help="fastloss alone, then beside --busy spinning processes, on 1 thread "
                             "and on the default thread count (see fastloss.bench.contention)")
    parser.add_argument("--busy", type=int, default=1, metavar="N",
                        help="busy processes beside fastloss with --contention (default 1)")
    args = parser.parse_args(argv)

    if args.threads is not None:
        fastloss.set_num_threads(args.threads)
    if not args.no_torch:
        try:
            import torch

            torch.set_num_threads(fastloss.get_num_threads())
        except ImportError:
            pass
    info = machine_info()
    print("fastloss benchmark: " + ", ".join(f"{k}={v}" for k, v in info.items()))
    print(f"size={args.size}, dtype={args.dtype}; forward + gradient, median of "
          f"{args.repeat} runs (ms); speed-up = other / fastloss\n")
    report = Report("fastloss vs NumPy reference and PyTorch (forward + gradient)",
                    ["loss", "shape", "fastloss ms", "NumPy ref ms", "torch ms",
                     "speed-up vs NumPy", "speed-up vs torch"])
    cases = [c for c in all_cases(args.size, np.dtype(args.dtype))
             if args.only is None or args.only in c.loss]
    if not cases:
        parser.error(f"--only {args.only!r} matches no loss")
    if args.contention:
        report = contention_report(cases, repeat=max(args.repeat, 15), busy=args.busy)
        print(report.title + "\n")
        report.publish(args.json, info)
        return report
    for case in cases:
        native = time_call(case.native, repeat=args.repeat).median_ms
        reference = time_call(case.reference, repeat=max(1, args.repeat // 2), warmup=1).median_ms
        torch_ms = None
        if case.torch is not None and not args.no_torch:
            torch_ms = time_call(case.torch, repeat=args.repeat).median_ms
        report.add(case.loss, case.shape, native, reference, torch_ms,
                   ratio(reference, native), ratio(torch_ms, native))
        print(f"  {case.loss:<22} done", flush=True)
    print()
    report.publish(args.json, info)
    return report


if __name__ == "__main__":
    main()
