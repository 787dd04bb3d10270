"""Side-by-side benchmark of exact optimal transport (issue 5).

    python -m bench.bench_transport [--repeat 3] [--threads N] [--json PATH] [--quick]

Every fastloss time includes all set-up (the cost from the points); peers are timed the way a
user calls them, and their values are checked against fastloss's first. In 1 and 2 the
contenders' calls take turns, as in the scaling table (a slow phase of a shared machine then
hits them all alike).
1. Uniform 3-D clouds, n = m = 1000 and 3000, Euclidean cost, float64: against
   scipy.optimize.linear_sum_assignment + scipy.spatial.distance.cdist and POT ot.emd2 +
   ot.dist (the issue's target: 1/3 of the faster).
2. Non-uniform histograms, 500 vs 800 2-D points: against POT ot.emd2 alone (its cost matrix
   given for free; target 1/2).
3. A batch of 16 pairs of 1024-point 3-D clouds: against POT looping over the pairs (target 1/4).
4. n = m = 10,000: time and extra peak memory (target: under 1 GiB), fastloss alone.
5. wasserstein_1d on 10^6 vs 10^6 samples: against POT ot.wasserstein_1d (target 1/5) and
   np.sort of the two samples (target: within 1.5x).
6. Sinkhorn, 1000 x 1000 3-D, epsilon 0.01, to a 1e-9 marginal error: against POT's
   log-domain ot.sinkhorn (values compared through its plan's regularised cost).
7. Scaling: fastloss from n = 100 to 10,000 (peers up to 3000).
Ratios are peer / fastloss (higher is better).
"""

from __future__ import annotations

import time
import warnings

import numpy as np

import fastloss
from fastloss.bench._harness import (
    Report,
    bench_parser,
    peak_memory_mib,
    ratio,
    start_bench,
    time_call,
    time_interleaved,
)


def clouds(n, m, d, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, d)), rng.random((m, d))


def scipy_assignment(x, y):
    from scipy.optimize import linear_sum_assignment
    from scipy.spatial.distance import cdist

    c = cdist(x, y)
    r, k = linear_sum_assignment(c)
    return c[r, k].mean()


def pot_points(ot, x, y, a=None, b=None):
    c = ot.dist(x, y, metric="euclidean")
    a = np.full(len(x), 1 / len(x)) if a is None else a
    b = np.full(len(y), 1 / len(y)) if b is None else b
    return ot.emd2(a, b, c, numItermax=10**8)


def timed(fn, repeat):
    return time_call(fn, repeat=repeat, warmup=1).median_ms


def interleaved(contenders, repeat):
    """Median ms of each contender, the calls taking turns (slow phases of a shared machine
    then hit every contender alike)."""
    timings = time_interleaved(contenders, repeat=repeat, warmup=1)
    return {name: t.median_ms for name, t in timings.items()}


def uniform_cases(args, report, have, sizes):
    for n in sizes:
        x, y = clouds(n, n, 3)
        value = fastloss.emd(x, y)
        contenders = {"fastloss": lambda x=x, y=y: fastloss.emd(x, y)}
        if have["scipy"] is not None:
            np.testing.assert_allclose(scipy_assignment(x, y), value, rtol=1e-10)
            contenders["scipy"] = lambda x=x, y=y: scipy_assignment(x, y)
        if have["ot"] is not None:
            np.testing.assert_allclose(pot_points(have["ot"], x, y), value, rtol=1e-10)
            contenders["pot"] = lambda x=x, y=y: pot_points(have["ot"], x, y)
        times = interleaved(contenders, args.repeat)
        native = times.pop("fastloss")
        best = min(times.values()) if times else None
        report.add(f"uniform 3-D n = m = {n}", native, times.get("scipy"), times.get("pot"),
                   ratio(best, native))
        print(f"  uniform n={n} done", flush=True)


def histogram_case(args, report, have):
    rng = np.random.default_rng(1)
    x, y = rng.random((500, 2)), rng.random((800, 2))
    a, b = rng.random(500), rng.random(800)
    a, b = a / a.sum(), b / b.sum()
    value = fastloss.emd(x, y, a, b)
    contenders = {"fastloss": lambda: fastloss.emd(x, y, a, b)}
    if have["ot"] is not None:
        ot = have["ot"]
        c = ot.dist(x, y, metric="euclidean")
        np.testing.assert_allclose(ot.emd2(a, b, c, numItermax=10**8), value, rtol=1e-10)
        contenders["pot"] = lambda: ot.emd2(a, b, c, numItermax=10**8)
    times = interleaved(contenders, max(args.repeat, 9))
    report.add("histograms 2-D 500 vs 800 (POT: emd2 alone)", times["fastloss"], None,
               times.get("pot"), ratio(times.get("pot"), times["fastloss"]))
    print("  histograms done", flush=True)


def batch_case(args, report, have):
    rng = np.random.default_rng(2)
    x, y = rng.random((16, 1024, 3)), rng.random((16, 1024, 3))
    values = fastloss.emd(x, y, reduction="none")
    native = timed(lambda: fastloss.emd(x, y, reduction="none"), args.repeat)
    pot_ms = None
    if have["ot"] is not None:
        ot = have["ot"]

        def loop():
            return np.array([pot_points(ot, x[k], y[k]) for k in range(16)])

        np.testing.assert_allclose(loop(), values, rtol=1e-10)
        pot_ms = timed(loop, max(1, args.repeat // 2))
    report.add("batch of 16 x 1024-point 3-D pairs (POT: a loop)", native, None, pot_ms,
               ratio(pot_ms, native))
    print("  batch done", flush=True)


def line_case(args, report, have):
    rng = np.random.default_rng(3)
    n = 1_000_000
    u, v = rng.standard_normal(n), rng.standard_normal(n) + 0.1
    value = fastloss.wasserstein_1d(u, v)
    native = timed(lambda: fastloss.wasserstein_1d(u, v), args.repeat)
    sort_ms = timed(lambda: (np.sort(u), np.sort(v)), args.repeat)
    pot_ms = None
    if have["ot"] is not None:
        ot = have["ot"]
        np.testing.assert_allclose(ot.wasserstein_1d(u, v), value, rtol=1e-10)
        pot_ms = timed(lambda: ot.wasserstein_1d(u, v), args.repeat)
    report.add("wasserstein_1d, 10^6 vs 10^6 samples", native, None, pot_ms,
               ratio(pot_ms, native))
    report.add("  (np.sort of the two samples)", sort_ms, None, None, ratio(sort_ms, native))
    grad_ms = timed(lambda: fastloss.wasserstein_1d_value_and_grad(u, v), args.repeat)
    report.add("wasserstein_1d_value_and_grad, 10^6 vs 10^6", grad_ms, None, None, None)
    print("  wasserstein_1d done", flush=True)


def sinkhorn_case(args, report, have):
    rng = np.random.default_rng(4)
    x, y = rng.random((1000, 3)), rng.random((1000, 3))
    a = b = np.full(1000, 1e-3)
    eps = 0.01
    kw = dict(epsilon=eps, tol=1e-9, max_iter=10**5)  # POT's stopping rule, run to the end
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # not converged would be an unfair comparison
        value = fastloss.sinkhorn(x, y, **kw)
    native = timed(lambda: fastloss.sinkhorn(x, y, **kw), args.repeat)
    pot_ms = None
    if have["ot"] is not None:
        ot = have["ot"]

        def pot():
            c = ot.dist(x, y, metric="euclidean")
            return ot.sinkhorn(a, b, c, eps, method="sinkhorn_log", stopThr=1e-9,
                               numItermax=10**5), c

        start = time.perf_counter()  # one timed call: POT takes tens of seconds here
        plan, c = pot()
        pot_ms = 1e3 * (time.perf_counter() - start)
        kl = np.sum(plan * np.log(plan / np.outer(a, b))) - plan.sum() + 1.0
        np.testing.assert_allclose((plan * c).sum() + eps * kl, value, rtol=1e-6)
    report.add("sinkhorn 1000 x 1000 3-D, epsilon 0.01 (POT: sinkhorn_log + dist)", native,
               None, pot_ms, ratio(pot_ms, native))
    print("  sinkhorn done", flush=True)


def scaling(args, have, sizes):
    table = Report("scaling: uniform 3-D clouds, Euclidean cost, float64 (ms)",
                   ["n = m", "fastloss", "scipy LSA + cdist", "POT emd2 + dist",
                    "best peer / fastloss", "fastloss peak MiB"])
    for n in sizes:
        x, y = clouds(n, n, 3, seed=n)
        contenders = {"fastloss": lambda x=x, y=y: fastloss.emd(x, y)}
        if n <= 3000 and have["scipy"] is not None:
            contenders["scipy"] = lambda x=x, y=y: scipy_assignment(x, y)
        if n <= 3000 and have["ot"] is not None:
            contenders["pot"] = lambda x=x, y=y: pot_points(have["ot"], x, y)
        peers = interleaved(contenders, args.repeat) if n <= 3000 else {
            "fastloss": timed(contenders["fastloss"], 1)}
        native = peers.pop("fastloss")
        mib = None
        if n >= 3000 and not args.quick:
            setup = (f"import numpy as np, fastloss\nrng = np.random.default_rng({n})\n"
                     f"x, y = rng.random(({n}, 3)), rng.random(({n}, 3))")
            mib = peak_memory_mib(setup, "fastloss.emd(x, y)")
        best = min(peers.values()) if peers else None
        table.add(n, native, peers.get("scipy"), peers.get("pot"), ratio(best, native), mib)
        print(f"  scaling n={n} done", flush=True)
    return table


def main(argv=None) -> list[Report]:
    parser = bench_parser(__doc__, repeat=3, json_name="transport.json")
    parser.add_argument("--quick", action="store_true", help="n = 1000 only, no 10k, no memory")
    args = parser.parse_args(argv)
    info, have = start_bench(args, ("scipy", "ot"))
    cases = Report("exact EMD, float64, all set-up included (ms)",
                   ["case", "fastloss", "scipy LSA + cdist", "POT", "best peer / fastloss"])
    uniform_cases(args, cases, have, (1000,) if args.quick else (1000, 3000))
    histogram_case(args, cases, have)
    line_case(args, cases, have)
    sinkhorn_case(args, cases, have)
    if not args.quick:
        batch_case(args, cases, have)
    reports = [cases]
    sizes = (100, 300, 1000) if args.quick else (100, 300, 1000, 3000, 10000)
    reports.append(scaling(args, have, sizes))
    for report in reports:
        print()
        print(report.markdown())
    cases.save(args.json, info)
    reports[1].save(args.json.replace(".json", "_scaling.json"), info)
    return reports


if __name__ == "__main__":
    main()
