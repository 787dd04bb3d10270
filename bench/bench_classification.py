"""Side-by-side benchmark of the classification targets of the foundation issue.

    python -m bench.bench_classification [--repeat 9] [--threads N] [--quick] [--json PATH]

For each case, in one run, the calls taking turns: fastloss forward+gradient (a fresh gradient array, and reusing
one via grad_out), PyTorch 2.13 CPU forward+backward (autograd), and the memory floor: the
time np.copyto takes to copy the logits into an existing array, and the time np.copy takes
to copy them into a new one (which, like a fresh gradient, pays the first touch of new
memory). Ratios: torch / fastloss (higher is better); grad_out / copyto and fresh / np.copy,
each against the copy that writes the same kind of memory (1 is the floor). Peak memory: extra resident memory of one call, each library
in a fresh process.
"""

from __future__ import annotations

import sys

import numpy as np

import fastloss
from fastloss.bench._harness import (
    Report,
    bench_parser,
    peak_memory_mib,
    ratio,
    start_bench,
    time_interleaved,
)

CASES = {
    # name: (logits shape, loss); float32, mean reduction; class axis 1, labels per item
    "cross_entropy 32768x1000": ((32768, 1000), "ce"),
    "cross_entropy 2097152x10": ((2097152, 10), "ce"),
    "sigmoid_focal 200000x80": ((200000, 80), "focal"),
    "cross_entropy 8x21x128x128 maps": ((8, 21, 128, 128), "ce"),
}

SETUP = """
import numpy as np
rng = np.random.default_rng(0)
shape = {shape}
x = rng.standard_normal(shape, dtype=np.float32)
y = rng.integers(0, shape[1], size=(shape[0], *shape[2:]))
t = (rng.random(shape, dtype=np.float32) < 0.05).astype(np.float32)
"""

FASTLOSS_CALL = {
    "ce": "fastloss.cross_entropy_value_and_grad(x, y)",
    "focal": "fastloss.sigmoid_focal_loss_value_and_grad(x, t, alpha=0.25, gamma=2.0)",
}

TORCH_SETUP = """
import torch
import torch.nn.functional as F
xt, yt, tt = torch.from_numpy(x), torch.from_numpy(y), torch.from_numpy(t)

def torch_ce():
    leaf = xt.detach().requires_grad_()
    F.cross_entropy(leaf, yt).backward()
    return leaf.grad

def torch_focal():  # torchvision.ops.sigmoid_focal_loss, alpha 0.25, gamma 2, mean
    leaf = xt.detach().requires_grad_()
    p = torch.sigmoid(leaf)
    ce = F.binary_cross_entropy_with_logits(leaf, tt, reduction="none")
    p_t = p * tt + (1 - p) * (1 - tt)
    loss = (0.25 * tt + 0.75 * (1 - tt)) * ce * (1 - p_t) ** 2
    loss.mean().backward()
    return leaf.grad
"""


def main(argv=None) -> Report:
    parser = bench_parser(__doc__, repeat=9, json_name="classification.json")
    parser.add_argument("--quick", action="store_true", help="skip the peak-memory runs")
    args = parser.parse_args(argv)
    info, peers = start_bench(args, ("torch",))
    torch = peers["torch"]
    threads = fastloss.get_num_threads()

    report = Report("classification: fastloss vs torch vs memory floor",
                    ["case", "fastloss ms", "fastloss grad_out ms", "torch ms", "copyto ms",
                     "np.copy ms", "torch / fastloss", "grad_out / copyto", "fresh / np.copy",
                     "fastloss peak MiB", "torch peak MiB"])
    for name, (shape, loss) in CASES.items():
        # The same setup text builds the inputs here and in the peak-memory subprocesses.
        ns: dict = {"fastloss": fastloss}
        exec(SETUP.format(shape=shape), ns)  # noqa: S102
        ns["grad"] = np.empty_like(ns["x"])
        ns["dst"] = np.empty_like(ns["x"])
        call = FASTLOSS_CALL[loss]
        call_out = call[:-1] + ", grad_out=grad)"
        contenders = {
            "native": lambda c=call, ns=ns: eval(c, ns),
            "reused": lambda c=call_out, ns=ns: eval(c, ns),
            "copy": lambda ns=ns: np.copyto(ns["dst"], ns["x"]),
            "fresh_copy": lambda ns=ns: ns["x"].copy(),
        }
        if torch is not None:
            exec(TORCH_SETUP, ns)  # noqa: S102
            contenders["torch"] = ns["torch_" + loss]
        # in turns, so that slow phases of the machine hit every contender alike
        timings = time_interleaved(contenders, repeat=args.repeat)
        native, reused, copy, fresh_copy = (timings[k].median_ms
                                            for k in ("native", "reused", "copy", "fresh_copy"))
        torch_ms = timings["torch"].median_ms if torch is not None else None
        torch_peak = None
        native_peak = None
        if not args.quick:
            setup = SETUP.format(shape=shape)
            native_peak = peak_memory_mib("import fastloss" + setup, call)
            if torch is not None:
                torch_peak = peak_memory_mib(setup + TORCH_SETUP + f"\ntorch.set_num_threads({threads})",
                                             f"torch_{loss}()")
        report.add(name, native, reused, torch_ms, copy, fresh_copy, ratio(torch_ms, native),
                   ratio(reused, copy), ratio(native, fresh_copy), native_peak, torch_peak)
        print(f"  {name} done", flush=True)
    print()
    print(report.markdown())
    report.save(args.json, info)
    return report


if __name__ == "__main__":
    sys.exit(main() and 0)
