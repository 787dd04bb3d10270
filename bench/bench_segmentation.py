"""Side-by-side benchmark of the segmentation targets (issue 3).

    python -m bench.bench_segmentation [--repeat 9] [--threads N] [--quick] [--json PATH]

For each case, in one run, the calls taking turns: fastloss forward+gradient (a fresh gradient
array, and reusing one via grad_out), MONAI's loss forward+backward on PyTorch 2.13 CPU
(autograd), and the memory floor: a copy of the logits, by np.copyto into an existing array
(against grad_out) and by np.copy into a new one (against a fresh gradient: both pay the first
touch of new memory). All float32 volumes 2 x 4 x 96^3, integer labels (N, 96, 96, 96) or
dense targets. Ratios: MONAI / fastloss (higher is better), grad_out / copyto and
fresh / np.copy (1 is the floor). Peak memory: extra resident memory of one call, each library
in a fresh process. Each case first checks that fastloss and MONAI agree.
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

SETUP = """
import numpy as np
rng = np.random.default_rng(0)
x = rng.standard_normal((2, 4, 96, 96, 96), dtype=np.float32)
y = rng.integers(0, 4, size=(2, 96, 96, 96))
t = (rng.random(x.shape, dtype=np.float32) < 0.3).astype(np.float32)
"""

# name: (fastloss call, MONAI constructor, MONAI target: "labels" (N, 1, ...) or "dense")
CASES = {
    "dice, softmax, labels, batch=True": (
        "fastloss.dice_loss_value_and_grad(x, y, batch=True)",
        "DiceLoss(softmax=True, to_onehot_y=True, batch=True)", "labels"),
    "dice, softmax, labels, per sample": (
        "fastloss.dice_loss_value_and_grad(x, y)",
        "DiceLoss(softmax=True, to_onehot_y=True)", "labels"),
    "tversky 0.3/0.7, sigmoid, dense targets": (
        "fastloss.tversky_loss_value_and_grad(x, t, activation='sigmoid', alpha=0.3, beta=0.7)",
        "TverskyLoss(sigmoid=True, alpha=0.3, beta=0.7)", "dense"),
    "generalized dice, softmax, labels": (
        "fastloss.generalized_dice_loss_value_and_grad(x, y)",
        "GeneralizedDiceLoss(softmax=True, to_onehot_y=True)", "labels"),
}

MONAI_SETUP = """
import torch
from monai.losses import {ctor_name}
loss_fn = {ctor}
xt = torch.from_numpy(x)
target = torch.from_numpy(y[:, None]) if "{target}" == "labels" else torch.from_numpy(t)

def monai_call():
    leaf = xt.detach().requires_grad_()
    value = loss_fn(leaf, target)
    value.backward()
    return value.detach(), leaf.grad
"""


def main(argv=None) -> Report:
    parser = bench_parser(__doc__, repeat=9, json_name="segmentation.json")
    parser.add_argument("--quick", action="store_true", help="skip the peak-memory runs")
    args = parser.parse_args(argv)
    info, peers = start_bench(args, ("torch", "monai"))
    torch = peers["torch"] if peers["monai"] is not None else None
    threads = fastloss.get_num_threads()

    report = Report("segmentation 2x4x96^3 float32: fastloss vs MONAI vs memory floor",
                    ["case", "fastloss ms", "fastloss grad_out ms", "MONAI ms", "copyto ms",
                     "np.copy ms", "MONAI / fastloss", "grad_out / copyto", "fresh / np.copy",
                     "fastloss peak MiB", "MONAI peak MiB"])
    ns: dict = {"fastloss": fastloss}
    exec(SETUP, ns)  # noqa: S102
    ns["grad"] = np.empty_like(ns["x"])
    ns["dst"] = np.empty_like(ns["x"])
    for name, (call, ctor, target) in CASES.items():
        call_out = call[:-1] + ", grad_out=grad)"
        contenders = {
            "native": lambda c=call: eval(c, ns),
            "reused": lambda c=call_out: eval(c, ns),
            "copy": lambda: np.copyto(ns["dst"], ns["x"]),
            "fresh_copy": lambda: ns["x"].copy(),
        }
        monai_ms = monai_peak = native_peak = None
        monai_setup = MONAI_SETUP.format(ctor_name=ctor.split("(")[0], ctor=ctor, target=target)
        if torch is not None:
            exec(monai_setup, ns)  # noqa: S102
            want_value, want_grad = ns["monai_call"]()
            value, grad = eval(call, ns)
            np.testing.assert_allclose(value, want_value.numpy(), rtol=1e-4)
            np.testing.assert_allclose(grad, want_grad.numpy(), rtol=1e-3,
                                       atol=1e-4 * float(np.abs(grad).max()))
            contenders["monai"] = ns["monai_call"]
        # in turns, so that slow phases of the machine hit every contender alike
        timings = time_interleaved(contenders, repeat=args.repeat)
        native, reused, copy, fresh_copy = (timings[k].median_ms
                                            for k in ("native", "reused", "copy", "fresh_copy"))
        if torch is not None:
            monai_ms = timings["monai"].median_ms
        if not args.quick:
            native_peak = peak_memory_mib("import fastloss" + SETUP, call)
            if torch is not None:
                monai_peak = peak_memory_mib(
                    SETUP + monai_setup + f"\ntorch.set_num_threads({threads})", "monai_call()")
        report.add(name, native, reused, monai_ms, copy, fresh_copy, ratio(monai_ms, native),
                   ratio(reused, copy), ratio(native, fresh_copy), native_peak, monai_peak)
        print(f"  {name} done", flush=True)
    print()
    print(report.markdown())
    report.save(args.json, info)
    return report


if __name__ == "__main__":
    sys.exit(main() and 0)
