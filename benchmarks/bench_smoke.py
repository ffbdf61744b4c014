"""How close the parallel smoke run comes to the floor a person could reach by hand.

For each installed framework, a *bare script* does ``import <framework>`` plus
the same tiny conv2d forward and backward the smoke kernel runs, and exits
normally. The floor is ``max(slowest bare script, sum of bare scripts / cores)``:
no tool can beat running the bare scripts in parallel on this many cores. The
ratio ``run_smoke / floor`` is the figure to watch (goal: at most 1.3).

Every figure is the median wall time of whole subprocesses (time.perf_counter
around each), so interpreter start-up and teardown count on both sides.

    python benchmarks/bench_smoke.py [--runs N] [--cli]
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

BARE_SCRIPTS = {
    "torch": """
import torch
x = torch.randn(2, 3, 16, 16, requires_grad=True)
w = torch.randn(8, 3, 3, 3, requires_grad=True)
y = torch.nn.functional.conv2d(x, w, padding=1)
torch.autograd.grad(y, (x, w), torch.randn_like(y))
""",
    "tensorflow": """
import tensorflow as tf
x, w = tf.random.normal((2, 16, 16, 3)), tf.random.normal((3, 3, 3, 8))
with tf.GradientTape() as tape:
    tape.watch([x, w])
    y = tf.nn.conv2d(x, w, strides=1, padding="SAME")
tape.gradient(y, [x, w], output_gradients=tf.random.normal(y.shape))
""",
    "keras": """
import keras, numpy as np, tensorflow as tf
layer = keras.layers.Conv2D(8, 3, padding="same", use_bias=False)
x = tf.constant(np.random.randn(2, 16, 16, 3).astype("float32"))
with tf.GradientTape() as tape:
    tape.watch(x)
    y = layer(x)
tape.gradient(y, [x, layer.kernel.value], output_gradients=tf.ones_like(y))
""",
    "jax": """
import jax, jax.numpy as jnp
x = jax.random.normal(jax.random.key(0), (2, 3, 16, 16))
w = jax.random.normal(jax.random.key(1), (8, 3, 3, 3))
def conv(x, w):
    return jax.lax.conv_general_dilated(
        x, w, (1, 1), ((1, 1), (1, 1)), dimension_numbers=("NCHW", "OIHW", "NCHW"))
y, pullback = jax.vjp(conv, x, w)
jax.block_until_ready(pullback(jnp.ones_like(y)))
""",
}
DISTRIBUTIONS = {
    "torch": ("torch",),
    "tensorflow": ("tensorflow", "tensorflow-cpu", "tensorflow-intel", "tensorflow-macos"),
    "keras": ("keras",),
    "jax": ("jax",),
}
RUN_SMOKE_ONCE = """
import importlib.metadata, sys
from compataudit.model import Environment, Package, PlatformInfo, PythonInfo
from compataudit.smoke.runner import run_smoke
names = ["torch", "tensorflow", "tensorflow-cpu", "tensorflow-intel", "tensorflow-macos",
         "keras", "jax", "jaxlib"]
packages = []
for name in names:
    try:
        packages.append(Package(name, importlib.metadata.version(name)))
    except importlib.metadata.PackageNotFoundError:
        pass
env = Environment(PythonInfo("3"), PlatformInfo("Linux", "x86_64"), packages=tuple(packages))
results = run_smoke(env, timeout=600)
bad = [f"{r.framework}: {r.status.value} {r.detail}" for r in results if r.status.value != "pass"]
sys.exit("\\n".join(bad) if bad else 0)
"""


def installed_frameworks() -> list[str]:
    found = []
    for framework, names in DISTRIBUTIONS.items():
        for name in names:
            try:
                version = importlib.metadata.version(name)
            except importlib.metadata.PackageNotFoundError:
                continue
            if framework != "keras" or not version.startswith(("1.", "2.")):
                found.append(framework)
                break
    return found


def timed(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(argv, env=env, cwd=REPO, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise SystemExit(f"{' '.join(argv[:3])} failed ({proc.returncode}): {' | '.join(tail)}")
    return elapsed


def floor_of(bare: dict[str, float], cores: int) -> float:
    return max(max(bare.values()), sum(bare.values()) / cores)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="timed rounds (default 3)")
    parser.add_argument("--cli", action="store_true", help="also time `compataudit check --format json`")
    args = parser.parse_args()
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env["KERAS_BACKEND"] = "tensorflow"  # the bare Keras script uses the TF backend
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    cores = os.cpu_count() or 1
    frameworks = installed_frameworks()
    if not frameworks:
        raise SystemExit("no framework installed: nothing to measure")
    commands = {f"bare {fw}": [sys.executable, "-c", BARE_SCRIPTS[fw]] for fw in frameworks}
    commands["run_smoke"] = [sys.executable, "-c", RUN_SMOKE_ONCE]
    if args.cli:
        commands["check"] = [sys.executable, "-m", "compataudit", "check", "--format", "json"]
    print(f"{len(frameworks)} frameworks, {cores} cores, {args.runs} rounds after a warm-up")
    for argv in commands.values():
        timed(argv, env)  # warm-up: file caches, .pyc files
    # Rounds interleave every command, so that load from elsewhere hits all of them
    # alike; ratios are taken within a round, then the median across rounds.
    times: dict[str, list[float]] = {name: [] for name in commands}
    ratios: dict[str, list[float]] = {"run_smoke": [], "check": []}
    for _ in range(args.runs):
        for name, argv in commands.items():
            times[name].append(timed(argv, env))
        floor = floor_of({fw: times[f"bare {fw}"][-1] for fw in frameworks}, cores)
        for name in ratios:
            if name in times:
                ratios[name].append(times[name][-1] / floor)
    for name, values in times.items():
        print(f"  {name:<16} median {statistics.median(values):6.2f} s   {_spread(values)}")
    bare = {fw: statistics.median(times[f"bare {fw}"]) for fw in frameworks}
    floor = floor_of(bare, cores)
    print(f"  floor = max({max(bare.values()):.2f}, {sum(bare.values()):.2f} / {cores}) = {floor:.2f} s")
    for name, values in ratios.items():
        if values:
            print(
                f"ratio {name} / floor: median of rounds {statistics.median(values):.2f}, "
                f"of medians {statistics.median(times[name]) / floor:.2f}  (goal <= 1.30)"
            )


def _spread(times: list[float]) -> str:
    return "runs: " + ", ".join(f"{t:.2f}" for t in times)


if __name__ == "__main__":
    main()
