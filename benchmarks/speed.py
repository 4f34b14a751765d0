"""How fast are the lossfns losses? Forward + gradient time against PyTorch on the CPU, in one run.

For the hot losses (the elementwise regression losses, binary and categorical
cross-entropy) and sizes from 1e3 to 1e7 elements, the script times one loss
value plus its gradient:

* ``lossfns``: ``f(y_true, y_pred)`` and ``f_grad(y_true, y_pred)``, float64,
  input validation included;
* PyTorch: ``loss = F(y_pred, y_true); loss.backward()`` on float64 and float32
  tensors, with PyTorch's default number of threads and with one thread
  (NumPy's elementwise code runs on one core).

Each time is the minimum over several repeats (as ``timeit`` advises), each
repeat long enough (>= 20 ms) to be timed reliably. The goal ratios are judged
on a steadier number: at the goal size the lossfns call, PyTorch's float64
one-thread call and one ``np.subtract`` pass over the input (the memory
bandwidth floor: no loss can read its input faster) are timed in
``ROUNDS`` interleaved rounds, alternating which goes first, and the table reports
the median of the per-round ratios with their range, so a load spike during one
block moves one round, not the result. The script also measures the
peak memory that ``lossfns`` allocates during the value and during the gradient
call with ``tracemalloc`` (NumPy reports its array allocations to it), relative
to the bytes of one input array. It writes ``benchmarks/results/speed.json``,
``benchmarks/results/speed_table.md`` and
``chapters/appendix/numerics/speed.png``.

    python benchmarks/speed.py            # the full run, about 2 minutes on 2 cores
    python benchmarks/speed.py --quick    # sizes up to 1e5, no files written

Timings depend on the machine and its load: compare the ratios, which come
from the same run.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import os
import platform
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common  # noqa: E402

import lossfns as lf  # noqa: E402

SIZES = (10**3, 10**4, 10**5, 10**6, 10**7)
CLASSES = 100
"""Classes of the cross-entropy cases: n elements are n / 100 rows of 100 logits."""
ROUNDS = 15
"""Interleaved rounds of the paired timing at the goal size."""
GOALS = {"elementwise": 1.5, "cross-entropy": 2.0, "memory": 3.0}
"""lossfns time / PyTorch float64 time (one thread) at 1e6 elements (cross-entropy: 1e5 x 100 logits);
peak extra memory / bytes of ``y_pred``."""


@dataclass(frozen=True)
class Case:
    """One loss to time: the lossfns pair, the PyTorch call and the data."""

    name: str
    kind: str  # "elementwise" or "cross-entropy"
    fn: Callable
    grad: Callable
    kwargs: dict
    torch: Callable  # (y_pred tensor, y_true tensor) -> scalar tensor
    data: Callable  # (rng, n elements) -> (y_true, y_pred) float64 arrays
    big: bool = False  # also time 1e7 elements (every cross-entropy: its goal is judged there)


def _real(rng, n):
    y = rng.normal(size=n)
    return y, y + rng.normal(size=n)


def _binary_prob(rng, n):
    return rng.integers(0, 2, size=n).astype(np.float64), rng.uniform(0.01, 0.99, size=n)


def _binary_logits(rng, n):
    return rng.integers(0, 2, size=n).astype(np.float64), rng.normal(scale=3.0, size=n)


def _rows(rng, n):
    rows = max(n // CLASSES, 1)
    return rng.integers(0, CLASSES, size=rows), rng.normal(scale=3.0, size=(rows, CLASSES))


def _onehot_logits(rng, n):
    labels, z = _rows(rng, n)
    return np.eye(CLASSES)[labels], z


def _sparse_logits(rng, n):
    labels, z = _rows(rng, n)
    return labels.astype(np.float64), z


def _onehot_prob(rng, n):
    labels, z = _rows(rng, n)
    p = np.exp(z - z.max(axis=1, keepdims=True))
    return np.eye(CLASSES)[labels], p / p.sum(axis=1, keepdims=True)


def cases() -> tuple[Case, ...]:
    import torch

    from lossfns import torch as lft

    F = torch.nn.functional
    log_cosh, quantile = lft.LogCoshLoss(), lft.QuantileLoss(q=0.5)
    return (
        Case("mse", "elementwise", lf.mse, lf.mse_grad, {}, F.mse_loss, _real, big=True),
        Case("mae", "elementwise", lf.mae, lf.mae_grad, {}, F.l1_loss, _real),
        Case("huber", "elementwise", lf.huber, lf.huber_grad, {}, F.huber_loss, _real, big=True),
        Case("log_cosh", "elementwise", lf.log_cosh, lf.log_cosh_grad, {}, log_cosh, _real),
        Case("quantile", "elementwise", lf.quantile, lf.quantile_grad, {}, quantile, _real),
        Case("binary_cross_entropy", "elementwise", lf.binary_cross_entropy, lf.binary_cross_entropy_grad, {},
             F.binary_cross_entropy, _binary_prob, big=True),
        Case("binary_cross_entropy (logits)", "elementwise", lf.binary_cross_entropy, lf.binary_cross_entropy_grad,
             {"from_logits": True}, F.binary_cross_entropy_with_logits, _binary_logits),
        Case("categorical_cross_entropy (logits)", "cross-entropy", lf.categorical_cross_entropy,
             lf.categorical_cross_entropy_grad, {"from_logits": True}, F.cross_entropy, _onehot_logits, big=True),
        Case("sparse_categorical_cross_entropy (logits)", "cross-entropy", lf.sparse_categorical_cross_entropy,
             lf.sparse_categorical_cross_entropy_grad, {"from_logits": True},
             lambda z, y: F.cross_entropy(z, y.long()), _sparse_logits, big=True),
        Case("categorical_cross_entropy", "cross-entropy", lf.categorical_cross_entropy,
             lf.categorical_cross_entropy_grad, {}, lambda p, y: F.cross_entropy(torch.log(p), y), _onehot_prob,
             big=True),
    )


# --- timing -------------------------------------------------------------------------------------------


def best_time(call: Callable[[], object], repeat: int, min_seconds: float = 0.02) -> float:
    """Seconds per call: the minimum over ``repeat`` timings of a loop lasting at least ``min_seconds``."""
    loops = _loops_for(call, min_seconds)  # warms up too (first-touch page faults, lazy initialisation)
    return min(_block(call, loops) for _ in range(repeat))


def _loops_for(call: Callable[[], object], min_seconds: float = 0.02) -> int:
    """How many calls make a block of at least ``min_seconds``."""
    call()
    loops = 1
    while True:
        start = time.perf_counter()
        for _ in range(loops):
            call()
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return loops
        loops *= 2 if elapsed == 0 else max(2, int(1.2 * min_seconds / elapsed))


def _block(call: Callable[[], object], loops: int) -> float:
    start = time.perf_counter()
    for _ in range(loops):
        call()
    return (time.perf_counter() - start) / loops


def paired(calls: dict[str, Callable[[], object]], rounds: int = ROUNDS) -> dict[str, list[float]]:
    """Seconds per call of each of ``calls``, timed in ``rounds`` interleaved rounds (order rotated each round)."""
    loops = {name: _loops_for(call) for name, call in calls.items()}
    names = list(calls)
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            times[name].append(_block(calls[name], loops[name]))
    return times


def paired_summary(case: Case, n: int) -> dict:
    """Median and range of lossfns / PyTorch-f64-one-thread over interleaved rounds, and the bandwidth floor."""
    import torch

    y_true, y_pred = case.data(np.random.default_rng(n), n)
    buf = np.empty_like(y_pred)
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        times = paired({
            "lossfns": lossfns_call(case, y_true, y_pred),
            "torch": torch_call(case, y_true, y_pred, torch.float64),
            "floor": lambda: np.subtract(y_pred, y_true if y_true.shape == y_pred.shape else 0.0, out=buf),
        })
    finally:
        torch.set_num_threads(before)
    ratios = np.array(times["lossfns"]) / np.array(times["torch"])
    q1, med, q3 = np.percentile(ratios, [25, 50, 75])
    return {"rounds": len(ratios), "ratio_median": round(float(med), 3), "ratio_q1": round(float(q1), 3),
            "ratio_q3": round(float(q3), 3), "ratio_min": round(float(ratios.min()), 3),
            "ratio_max": round(float(ratios.max()), 3),
            "lossfns_ms": round(1e3 * float(np.median(times["lossfns"])), 4),
            "torch_ms": round(1e3 * float(np.median(times["torch"])), 4),
            "floor_ms": round(1e3 * float(np.median(times["floor"])), 4),
            "lossfns_over_floor": round(float(np.median(np.array(times["lossfns"]) / np.array(times["floor"]))), 2)}


def lossfns_call(case: Case, y_true, y_pred) -> Callable[[], object]:
    def call():
        return case.fn(y_true, y_pred, **case.kwargs), case.grad(y_true, y_pred, **case.kwargs)
    return call


def torch_call(case: Case, y_true, y_pred, dtype) -> Callable[[], object]:
    import torch

    target = torch.tensor(y_true, dtype=dtype)
    x = torch.tensor(y_pred, dtype=dtype, requires_grad=True)

    def call():
        x.grad = None
        loss = case.torch(x, target)
        loss.backward()
        return loss
    return call


def peak_extra_bytes(call: Callable[[], object]) -> int:
    """Peak bytes allocated (and traced) while ``call`` runs, above what was allocated before."""
    gc.collect()
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        out = call()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del out
    return peak - before


def measure(case: Case, n: int, threads: int, repeat: int) -> dict:
    import torch

    y_true, y_pred = case.data(np.random.default_rng(n), n)
    out = {"loss": case.name, "n": int(y_pred.size), "times": {}}
    out["times"]["lossfns"] = best_time(lossfns_call(case, y_true, y_pred), repeat)
    for name, dtype in (("torch-f64", torch.float64), ("torch-f32", torch.float32)):
        for label, count in (("", threads), ("-1thread", 1)):
            torch.set_num_threads(count)
            out["times"][name + label] = best_time(torch_call(case, y_true, y_pred, dtype), repeat)
    torch.set_num_threads(threads)
    return out


def memory(case: Case, n: int) -> dict:
    y_true, y_pred = case.data(np.random.default_rng(n), n)
    value = peak_extra_bytes(lambda: case.fn(y_true, y_pred, **case.kwargs))
    grad = peak_extra_bytes(lambda: case.grad(y_true, y_pred, **case.kwargs))
    return {"loss": case.name, "n": int(y_pred.size), "input_bytes": int(y_pred.nbytes),
            "value_ratio": round(value / y_pred.nbytes, 3), "grad_ratio": round(grad / y_pred.nbytes, 3)}


# --- output -------------------------------------------------------------------------------------------

IMPLS = ("lossfns", "torch-f64", "torch-f64-1thread", "torch-f32", "torch-f32-1thread")


def goal_size(kind: str) -> int:
    return 10**7 if kind == "cross-entropy" else 10**6


def table_markdown(results: dict) -> str:
    """The goals table: time at the goal size, ratios to PyTorch, memory, and whether each goal holds.

    The time goal compares with PyTorch float64 on one thread, as NumPy runs these loops on one core.
    """
    threads = results["meta"]["torch_threads"]
    header = ["loss", "elements", "lossfns (ms)", "PyTorch f64, 1 thread (ms)",
              f"ratio: median of {ROUNDS} rounds (range)", "goal", "lossfns / one subtract pass",
              f"ratio vs f64, {threads} threads", "ratio vs f32, 1 thread", "peak memory / y_pred (value, grad)"]
    mem = {m["loss"]: m for m in results["memory"]}
    rows = []
    for kind in ("elementwise", "cross-entropy"):
        for r in results["timings"]:
            if r["kind"] != kind or r["n"] != goal_size(kind):
                continue
            t, pair = r["times"], r["paired"]
            ratio = pair["ratio_median"]
            goal = GOALS[kind]
            m = mem[r["loss"]]
            mem_ok = max(m["value_ratio"], m["grad_ratio"]) <= GOALS["memory"]
            rows.append([
                f"`{r['loss']}`", f"{r['n']:.0e}".replace("e+0", "e"), f"{pair['lossfns_ms']:.2f}",
                f"{pair['torch_ms']:.2f}", f"{ratio:.2f} ({pair['ratio_min']:.2f}–{pair['ratio_max']:.2f})",
                f"≤ {goal:g}: {'yes' if ratio <= goal else '**no**'}", f"{pair['lossfns_over_floor']:.1f}",
                f"{t['lossfns'] / t['torch-f64']:.2f}", f"{t['lossfns'] / t['torch-f32-1thread']:.2f}",
                f"{m['value_ratio']:.2f}, {m['grad_ratio']:.2f} (≤ 3: {'yes' if mem_ok else '**no**'})",
            ])
    meta = results["meta"]
    v = meta["versions"]
    about = (f"Measured {meta['date']} on {meta['cpu']} ({meta['cores']} cores, {meta['system']}), NumPy {v['numpy']}, "
             f"PyTorch {v['torch']} (default {threads} threads), Python {v['python']}; load average "
             f"{meta['load_before'][0]:.2f} before and {meta['load_after'][0]:.2f} after the "
             f"{meta['seconds']:.0f} s run.\n\n")
    return about + _common.markdown_table(header, rows, "lrrrrlrrrr")


def plot(results: dict, path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from lossfns.plotting import style

    names = list(dict.fromkeys(r["loss"] for r in results["timings"]))
    with style():
        fig, axes = plt.subplots(1, 2, figsize=(12, 4.6), sharey=True)
        threads = results["meta"]["torch_threads"]
        for ax, impl, title in ((axes[0], "torch-f64-1thread", "PyTorch float64, 1 thread"),
                                (axes[1], "torch-f64", f"PyTorch float64, {threads} threads")):
            for i, name in enumerate(names):
                rows = [r for r in results["timings"] if r["loss"] == name]
                ns = [r["n"] for r in rows]
                ax.plot(ns, [r["times"]["lossfns"] / r["times"][impl] for r in rows], label=name,
                        marker="osD^v<>ph*"[i % 10], ls=("-", "--", "-.", ":")[i % 4],
                        color=plt.get_cmap("tab10")(i % 10))
            ax.axhline(GOALS["elementwise"], color="black", ls="--", lw=1.5, label="goal, elementwise (1.5)")
            ax.axhline(GOALS["cross-entropy"], color="grey", ls=":", lw=1.5, label="goal, cross-entropy (2)")
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel("elements per call (cross-entropy: rows x 100 classes)")
            ax.set_title(f"lossfns time / {title}")
        axes[0].set_ylabel("time ratio, value + gradient (below 1: lossfns faster)")
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=8, bbox_to_anchor=(0.5, -0.2))
        fig.savefig(path, dpi=110, bbox_inches="tight", metadata={"Software": None})
        plt.close(fig)


def machine() -> dict:
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "system": platform.system(), "torch_threads": torch.get_num_threads(),
            "load_before": [round(x, 2) for x in os.getloadavg()],
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "versions": _common.versions("numpy", "torch", "lossfns")}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="sizes up to 1e5 only; write no files")
    parser.add_argument("--only", help="time only the loss with this name")
    opts = parser.parse_args(argv)
    import torch

    meta = machine()
    threads = meta["torch_threads"]
    start = time.perf_counter()
    timings, mem = [], []
    for case in cases():
        if opts.only and case.name != opts.only:
            continue
        for n in SIZES:
            if (opts.quick and n > 10**5) or (n == 10**7 and not case.big):
                continue
            r = measure(case, n, threads, repeat=3 if n >= 10**7 else 7)
            r["kind"] = case.kind
            if n == goal_size(case.kind):
                r["paired"] = paired_summary(case, n)
                pair = r["paired"]
                print(f"{'':45s} paired: ratio median {pair['ratio_median']:.2f} (range {pair['ratio_min']:.2f} to "
                      f"{pair['ratio_max']:.2f}), lossfns / one subtract pass {pair['lossfns_over_floor']:.1f}")
            timings.append(r)
            t = r["times"]
            print(f"{case.name:45s} n={r['n']:>10,d}  lossfns {1e3 * t['lossfns']:9.3f} ms  torch f64 1 thread "
                  f"{1e3 * t['torch-f64-1thread']:9.3f} ms  ratio {t['lossfns'] / t['torch-f64-1thread']:5.2f}  "
                  f"({threads} threads {t['lossfns'] / t['torch-f64']:5.2f}, "
                  f"f32 {t['lossfns'] / t['torch-f32-1thread']:5.2f})", flush=True)
        mem.append(memory(case, min(goal_size(case.kind), 10**5 if opts.quick else 10**7)))
        print(f"{'':45s} peak memory / input: value {mem[-1]['value_ratio']}, grad {mem[-1]['grad_ratio']}")
    meta["load_after"] = [round(x, 2) for x in os.getloadavg()]
    meta["seconds"] = round(time.perf_counter() - start, 1)
    results = {"meta": meta, "goals": GOALS, "timings": timings, "memory": mem}
    torch.set_num_threads(threads)
    print(f"total {meta['seconds']} s, load average before {meta['load_before']}, after {meta['load_after']}")
    if not (opts.quick or opts.only):
        print(table_markdown(results))
        _common.write_json(_common.RESULTS / "speed.json", results)
        (_common.RESULTS / "speed_table.md").write_text(table_markdown(results), encoding="utf-8")
        _common.FIGURES.mkdir(parents=True, exist_ok=True)
        plot(results, _common.FIGURES / "speed.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
