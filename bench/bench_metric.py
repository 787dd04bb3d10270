"""Side-by-side benchmark of the labelled-batch metric losses (issue 6).

    python -m bench.bench_metric [--repeat 5] [--threads N] [--json PATH] [--quick]

1. Batch-hard triplet loss, value and gradient, 4096 x 256 float32 embeddings, 64 classes:
   fastloss against PyTorch (cdist + masks + autograd, as Hermans et al.'s code does) and the
   NumPy reference (float64, Gram matrix + masks + argmax), each checked against fastloss.
   Batch-all and semi-hard, for the record.
2. Angular loss, N-pair form, value and gradient, B x 256 unit embeddings, 64 classes: time
   and extra peak memory against pytorch-metric-learning's AngularLoss (B = 1024, 2048: at
   4096 its (pairs x B) products need tens of GB) and fastloss alone at 4096; the hinge form
   over every triplet at 4096, for the record.
Ratios are peer / fastloss (higher is better).
"""

from __future__ import annotations

import numpy as np

import fastloss
from fastloss import reference as ref
from fastloss.bench._harness import (
    Report,
    bench_parser,
    peak_memory_mib,
    ratio,
    start_bench,
    time_call,
)

SETUP = """
import numpy as np
rng = np.random.default_rng(0)
x = rng.standard_normal(({b}, 256), dtype=np.float32)
x /= np.linalg.norm(x, axis=1, keepdims=True)
y = rng.permutation(np.arange({b}) % 64)
"""

TORCH_HARD = """
import torch
torch.set_num_threads({threads})
xt, yt = torch.from_numpy(x), torch.from_numpy(y)

def torch_batch_hard(margin=0.2):
    e = xt.detach().requires_grad_()
    d = torch.cdist(e, e)
    same = yt[:, None] == yt[None, :]
    pos = same & ~torch.eye(len(yt), dtype=torch.bool)
    hardest_pos = d.masked_fill(~pos, 0.0).max(1).values
    hardest_neg = d.masked_fill(same, float("inf")).min(1).values
    valid = pos.any(1) & (~same).any(1)
    loss = torch.relu(hardest_pos - hardest_neg + margin)[valid].mean()
    loss.backward()
    return loss, e.grad
"""

PML_ANGULAR = """
import torch
torch.set_num_threads({threads})
from pytorch_metric_learning.losses import AngularLoss
pml = AngularLoss(alpha=40)
xt, yt = torch.from_numpy(x), torch.from_numpy(y)

def pml_angular():
    e = xt.detach().requires_grad_()
    loss = pml(e, yt)
    loss.backward()
    return loss, e.grad
"""


def _namespace(code: str) -> dict:
    ns: dict = {}
    exec(code, ns)  # noqa: S102 (the text timed here is measured for memory in a subprocess)
    return ns


def triplet_cases(args, report, have):
    threads = fastloss.get_num_threads()
    ns = _namespace(SETUP.format(b=4096))
    x, y = ns["x"], ns["y"]
    kw = dict(mining="hard", margin=0.2)
    value, grad = fastloss.batch_triplet_loss_value_and_grad(x, y, **kw)
    native = time_call(lambda: fastloss.batch_triplet_loss_value_and_grad(x, y, **kw),
                       repeat=args.repeat).median_ms
    torch_ms = None
    if have["torch"] is not None:
        ns.update(_namespace(SETUP.format(b=4096) + TORCH_HARD.format(threads=threads)))
        loss, g = ns["torch_batch_hard"]()
        np.testing.assert_allclose(loss.item(), float(value), rtol=1e-4)
        # torch.cdist's float32 |x|^2 + |y|^2 - 2 x.y mines another positive or negative for
        # a few near-ties (unit rows in 256-D are all about sqrt(2) apart): compare the rest
        close = np.isclose(g.numpy(), grad, rtol=1e-3, atol=1e-3 * float(np.abs(grad).max()))
        assert close.mean() > 0.97, close.mean()
        torch_ms = time_call(ns["torch_batch_hard"], repeat=args.repeat).median_ms
    want, _ = ref.batch_triplet_loss_value_and_grad(x, y, **kw)
    np.testing.assert_allclose(float(want), float(value), rtol=1e-4)
    numpy_ms = time_call(lambda: ref.batch_triplet_loss_value_and_grad(x, y, **kw),
                         repeat=max(3, args.repeat // 2)).median_ms
    report.add("batch-hard, value + grad", native, torch_ms, numpy_ms, ratio(torch_ms, native),
               ratio(numpy_ms, native))
    print("  batch-hard done", flush=True)
    if args.quick:
        return
    for mining in ("all", "semihard"):
        kw = dict(mining=mining, margin=0.2)
        native = time_call(lambda kw=kw: fastloss.batch_triplet_loss_value_and_grad(x, y, **kw),
                           repeat=args.repeat).median_ms
        report.add(f"batch-{mining}, value + grad", native, None, None, None, None)
        print(f"  batch-{mining} done", flush=True)


def angular_cases(args, report, have):
    threads = fastloss.get_num_threads()
    sizes = (1024,) if args.quick else (1024, 2048, 4096)
    for b in sizes:
        setup = SETUP.format(b=b)
        ns = _namespace(setup)
        x, y = ns["x"], ns["y"]
        value, _grad = fastloss.batch_angular_loss_value_and_grad(x, y)
        native = time_call(lambda x=x, y=y: fastloss.batch_angular_loss_value_and_grad(x, y),
                           repeat=args.repeat).median_ms
        call = "fastloss.batch_angular_loss_value_and_grad(x, y)"
        native_mib = None if args.quick else peak_memory_mib("import fastloss" + setup, call)
        pml_ms = pml_mib = None
        if have["pytorch_metric_learning"] is not None and b <= 2048:
            code = setup + PML_ANGULAR.format(threads=threads)
            ns.update(_namespace(code))
            loss, _g = ns["pml_angular"]()
            np.testing.assert_allclose(loss.item(), float(value), rtol=1e-4)
            # (gradients differ by design: PML also differentiates its own normalisation of
            # the anchors and positives; tests/test_metric_batch.py checks ours by autograd)
            pml_ms = time_call(ns["pml_angular"], repeat=max(3, args.repeat // 2)).median_ms
            pml_mib = None if args.quick else peak_memory_mib(code, "pml_angular()")
        report.add(f"angular N-pair B={b}, value + grad", native, pml_ms, ratio(pml_ms, native),
                   native_mib, pml_mib)
        print(f"  angular B={b} done", flush=True)
    if args.quick:
        return
    ns = _namespace(SETUP.format(b=4096))  # the hinge form over every triplet: no peer has it
    x, y = ns["x"], ns["y"]
    hinge = time_call(lambda: fastloss.batch_angular_loss_value_and_grad(x, y, form="hinge"),
                      repeat=args.repeat).median_ms
    report.add("angular hinge B=4096, value + grad", hinge, None, None, None, None)


def main(argv=None) -> list[Report]:
    parser = bench_parser(__doc__, repeat=5, json_name="metric.json")
    parser.add_argument("--quick", action="store_true", help="fewer cases, no memory probes")
    args = parser.parse_args(argv)
    info, have = start_bench(args, ("torch", "pytorch_metric_learning"))
    triplet = Report("batch triplet loss, 4096 x 256 float32, 64 classes (ms)",
                     ["case", "fastloss", "torch", "NumPy reference", "torch / fastloss",
                      "NumPy / fastloss"])
    triplet_cases(args, triplet, have)
    angular = Report("angular loss, N-pair form, B x 256 float32 unit rows, 64 classes",
                     ["case", "fastloss ms", "pytorch-metric-learning ms", "PML / fastloss",
                      "fastloss peak MiB", "PML peak MiB"])
    angular_cases(args, angular, have)
    for report in (triplet, angular):
        print()
        print(report.markdown())
    triplet.save(args.json, info)
    angular.save(args.json.replace(".json", "_angular.json"), info)
    return [triplet, angular]


if __name__ == "__main__":
    main()
