"""A few core calls, timed alone: for comparing two builds of fastloss (before/after a change).

    python -m bench.bench_ab [--repeat 21] [--threads N] [--json PATH] [--only WORD ...]
    PYTHONPATH=/path/to/other/build python -m bench.bench_ab     # the other build

Cross-entropy (many and few classes, into grad_out; probability targets), KL divergence, Dice
on probabilities, distillation KL (independent and nearly equal logits), policy gradient,
sigmoid focal, Chamfer (brute force and KD-tree) and EMD (shortest paths and network simplex),
forward + gradient where there is one.
Run the two builds alternately, several times each, on a quiet machine, and compare medians;
FASTLOSS_CPU_DISPATCH selects the kernel table.
"""

from __future__ import annotations

import os

import numpy as np

import fastloss
from fastloss.bench._harness import Report, bench_parser, start_bench, time_call


def calls(rng: np.random.Generator) -> dict:
    ce_many = rng.normal(size=(32768, 1000)).astype(np.float32)
    ce_many_y = rng.integers(0, 1000, 32768)
    ce_few = rng.normal(size=(2097152, 10)).astype(np.float32)
    ce_few_y = rng.integers(0, 10, 2097152)
    focal = rng.normal(size=(200000, 80)).astype(np.float32)
    focal_t = (rng.random((200000, 80)) < 0.1).astype(np.float32)
    buffers = {k: np.empty_like(v) for k, v in
               {"ce_many": ce_many, "ce_few": ce_few, "focal": focal}.items()}
    x, y = (rng.normal(size=(32, 2048, 3)).astype(np.float32) for _ in range(2))
    xb, yb = (rng.normal(size=(8, 1024, 3)).astype(np.float32) for _ in range(2))
    ex, ey = rng.normal(size=(1000, 3)), rng.normal(size=(1000, 3))
    nx, ny = rng.normal(size=(500, 2)), rng.normal(size=(800, 2))
    na, nb = rng.random(500) + 0.1, rng.random(800) + 0.1
    nb *= na.sum() / nb.sum()
    kl_q = rng.dirichlet(np.ones(1000), 4096).astype(np.float32)
    kl_p = rng.dirichlet(np.ones(1000), 4096).astype(np.float32)
    seg = rng.dirichlet(np.ones(4), (2, 96, 96, 96)).transpose(0, 4, 1, 2, 3)
    seg = np.ascontiguousarray(seg, dtype=np.float32)
    seg_y = rng.integers(0, 4, (2, 96, 96, 96))
    student = (3 * rng.normal(size=(20000, 100))).astype(np.float32)
    teacher = (3 * rng.normal(size=(20000, 100))).astype(np.float32)
    close = (student + 0.01 * rng.normal(size=student.shape)).astype(np.float32)
    pg_x = rng.normal(size=(200000, 18)).astype(np.float32)
    pg_a, pg_adv = rng.integers(0, 18, 200000), rng.normal(size=200000).astype(np.float32)
    return {
        "cross_entropy 32768x1000 grad_out": lambda: fastloss.cross_entropy_value_and_grad(
            ce_many, ce_many_y, grad_out=buffers["ce_many"]),
        "cross_entropy 2097152x10 grad_out": lambda: fastloss.cross_entropy_value_and_grad(
            ce_few, ce_few_y, grad_out=buffers["ce_few"]),
        "kl_divergence 4096x1000 probabilities": lambda: fastloss.kl_divergence_value_and_grad(
            kl_q, kl_p),
        "cross_entropy probabilities 4096x1000": lambda: fastloss.cross_entropy_value_and_grad(
            ce_many[:4096], kl_p),
        "dice 2x4x96^3 probabilities": lambda: fastloss.dice_loss_value_and_grad(
            seg, seg_y, activation=None),
        "distillation_kl 20000x100 T=2": lambda: fastloss.distillation_kl_value_and_grad(
            student, teacher, temperature=2.0),
        "distillation_kl 20000x100 T=2, student near teacher": (
            lambda: fastloss.distillation_kl_value_and_grad(student, close, temperature=2.0)),
        "policy_gradient 200000x18 entropy": lambda: fastloss.policy_gradient_loss_value_and_grad(
            pg_x, pg_a, pg_adv, entropy_coef=0.01),
        "sigmoid_focal 200000x80 grad_out": lambda: fastloss.sigmoid_focal_loss_value_and_grad(
            focal, focal_t, grad_out=buffers["focal"]),
        "chamfer 32x2048x3 kdtree": lambda: fastloss.chamfer_distance_value_and_grad(
            x, y, method="kdtree"),
        "chamfer 8x1024x3 brute": lambda: fastloss.chamfer_distance_value_and_grad(
            xb, yb, method="brute"),
        "emd 1000x1000 shortest paths": lambda: fastloss.emd(ex, ey),
        "emd 500x800 network simplex": lambda: fastloss.emd(nx, ny, na, nb),
    }


def main(argv: list[str] | None = None) -> Report:
    parser = bench_parser(__doc__, repeat=21, json_name=None)
    parser.add_argument("--only", nargs="+", default=None, metavar="WORD",
                        help="time only the calls whose name contains one of these words")
    args = parser.parse_args(argv)
    info, _ = start_bench(args, peers=())
    report = Report("core calls, median ms", ["call", "median ms", "IQR ms"])
    for name, fn in calls(np.random.default_rng(0)).items():
        if args.only and not any(word in name for word in args.only):
            continue
        t = time_call(fn, repeat=args.repeat, warmup=3)
        report.add(name, t.median_ms, t.iqr_ms)
    # print and save rather than Report.publish: the older build under comparison may lack it
    print(report.markdown())
    if args.json:
        report.save(os.path.abspath(args.json), info)
    return report


if __name__ == "__main__":
    main()
