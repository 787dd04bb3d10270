"""Side-by-side benchmark of the reinforcement-learning targets (issue 7).

    python -m bench.bench_rl [--repeat 7] [--threads N] [--json PATH]

1. discounted_returns over T = 2,000,000 steps with ~1% episode ends (one trajectory), against
   scipy.signal.lfilter run per episode and a vectorised NumPy formulation (both checked
   against fastloss's result first).
2. DQN Huber TD loss, forward + gradient, 1,000,000 x 18 float32, against PyTorch
   (gather + max + smooth_l1_loss + backward).
3. Policy-gradient loss with entropy, 1,000,000 x 18 float32, against the PyTorch formula.
   2 and 3 alternate fastloss and torch calls (both allocate a fresh 72 MB gradient per call),
   after checking that the two gradients agree; a last row times the kernel writing into a
   reused gradient buffer (grad_out).
Ratios are other / fastloss (higher is better).
"""

from __future__ import annotations

import numpy as np

import fastloss
from fastloss.bench._harness import (
    Report,
    bench_parser,
    ratio,
    start_bench,
    time_call,
    time_interleaved,
)

GAMMA = 0.99


def lfilter_per_episode(rewards, dones, gamma):
    from scipy.signal import lfilter

    out = np.empty_like(rewards)
    ends = np.flatnonzero(dones)
    start = 0
    for end in [*ends.tolist(), len(rewards) - 1]:
        if end < start:
            continue
        seg = rewards[start:end + 1]
        out[start:end + 1] = lfilter([1.0], [1.0, -gamma], seg[::-1])[::-1]
        start = end + 1
    return out


def numpy_vectorised(rewards, dones, gamma):
    """Discounted returns with cumulative sums: within an episode starting at s0,
    G_t = gamma^-(t-s0) * sum_{u >= t in episode} gamma^(u-s0) r_u."""
    n = len(rewards)
    starts = np.zeros(n, dtype=np.int64)
    ends = np.flatnonzero(dones)
    starts[ends[ends < n - 1] + 1] = ends[ends < n - 1] + 1
    starts = np.maximum.accumulate(starts)
    pos = np.arange(n) - starts
    scaled = rewards * gamma ** pos
    # reverse cumulative sum restarted at each episode end
    rc = np.cumsum(scaled[::-1])[::-1]
    seg_end = np.empty(n, dtype=np.int64)  # last index of each step's episode
    last = np.append(ends, n - 1)
    seg_end[:] = last[np.searchsorted(last, np.arange(n))]
    after = np.where(seg_end + 1 < n, rc[np.minimum(seg_end + 1, n - 1)], 0.0)
    return (rc - after) / gamma ** pos


def main(argv=None) -> Report:
    args = bench_parser(__doc__, repeat=7, json_name="rl.json").parse_args(argv)
    info, peers = start_bench(args, ("torch",))
    torch = peers["torch"]
    F = torch.nn.functional if torch is not None else None
    rng = np.random.default_rng(0)
    report = Report("RL: fastloss vs SciPy / NumPy / PyTorch",
                    ["case", "fastloss ms", "peer", "peer ms", "peer / fastloss"])

    # 1. discounted returns, one long trajectory, float64 (what lfilter computes in)
    T = 2_000_000
    rewards = rng.normal(size=T)
    dones = rng.random(T) < 0.01
    ours = fastloss.discounted_returns(rewards, dones, gamma=GAMMA)
    for name, fn in [("scipy.signal.lfilter per episode", lfilter_per_episode),
                     ("NumPy vectorised", numpy_vectorised)]:
        np.testing.assert_allclose(fn(rewards, dones, GAMMA), ours, rtol=1e-9, atol=1e-9,
                                   err_msg=f"{name} disagrees with fastloss")
    native = time_call(lambda: fastloss.discounted_returns(rewards, dones, gamma=GAMMA),
                       repeat=args.repeat).median_ms
    for name, fn in [("scipy.signal.lfilter per episode", lfilter_per_episode),
                     ("NumPy vectorised", numpy_vectorised)]:
        peer = time_call(lambda fn=fn: fn(rewards, dones, GAMMA), repeat=max(3, args.repeat // 2),
                         warmup=1).median_ms
        report.add("discounted_returns T=2e6, 1% ends", native, name, peer, ratio(peer, native))
    print("  discounted_returns done", flush=True)

    # 2. DQN Huber TD loss and 3. policy gradient, 1M x 18 float32
    N, A = 1_000_000, 18
    q_tm1 = rng.standard_normal((N, A), dtype=np.float32)
    q_t = rng.standard_normal((N, A), dtype=np.float32)
    a = rng.integers(0, A, size=N)
    r = rng.standard_normal(N, dtype=np.float32)
    disc = np.full(N, GAMMA, dtype=np.float32)
    adv = rng.standard_normal(N, dtype=np.float32)

    # The gradient is a fresh 72 MB array per call on both sides; calls alternate (time_interleaved)
    # so that the VM's slow first touches of fresh memory hit both contenders alike.
    def ours_dqn():
        return fastloss.q_learning_loss_value_and_grad(q_tm1, a, r, disc, q_t)

    def ours_pg():
        return fastloss.policy_gradient_loss_value_and_grad(q_tm1, a, adv, entropy_coef=0.01)

    contenders_dqn, contenders_pg = {"fastloss": ours_dqn}, {"fastloss": ours_pg}
    if torch is not None:
        q0, q1, at, rt, dt = (torch.from_numpy(v) for v in (q_tm1, q_t, a, r, disc))
        advt = torch.from_numpy(adv)

        def torch_dqn():
            leaf = q0.detach().requires_grad_()
            target = rt + dt * q1.max(1).values
            F.smooth_l1_loss(leaf.gather(1, at[:, None])[:, 0], target).backward()
            return leaf.grad

        def torch_pg():
            leaf = q0.detach().requires_grad_()
            logp = torch.log_softmax(leaf, 1)
            entropy = -(logp.exp() * logp).sum(1)
            loss = -(logp.gather(1, at[:, None])[:, 0] * advt).mean() - 0.01 * entropy.mean()
            loss.backward()
            return leaf.grad

        contenders_dqn["torch"], contenders_pg["torch"] = torch_dqn, torch_pg
        for ours, theirs in [(ours_dqn, torch_dqn), (ours_pg, torch_pg)]:
            np.testing.assert_allclose(ours()[1], theirs().numpy(), rtol=1e-4, atol=1e-10,
                                       err_msg="fastloss and torch gradients disagree")

    repeat = max(args.repeat, 9)
    for case, contenders in [("q_learning_loss (Huber) 1e6x18, value+grad", contenders_dqn),
                             ("policy_gradient_loss (entropy) 1e6x18, value+grad", contenders_pg)]:
        timings = time_interleaved(contenders, repeat=repeat, warmup=3)
        native = timings["fastloss"].median_ms
        peer = timings["torch"].median_ms if "torch" in timings else None
        report.add(case, native, "torch", peer, ratio(peer, native))
        print(f"  {case.split()[0]} done", flush=True)

    # What a training loop that keeps its gradient buffer pays (no fresh pages): the kernel alone.
    grad_buffer = np.empty_like(q_tm1)
    native = time_call(lambda: fastloss.q_learning_loss_value_and_grad(
        q_tm1, a, r, disc, q_t, grad_out=grad_buffer), repeat=repeat).median_ms
    report.add("q_learning_loss, value+grad into grad_out (reused buffer)", native, "", None, None)
    print()
    print(report.markdown())
    report.save(args.json, info)
    return report


if __name__ == "__main__":
    main()
