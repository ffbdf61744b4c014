"""False alarms on real model code: ``compataudit lint`` over public projects.

Goal (issue 11): zero errors and every warning with a reason you would defend, on the
model code of timm, ultralytics and transformers (their wheels from the package index)
and on example/model repositories (keras-io guides, pytorch/examples, nanoGPT, CLIP,
Lightning, detectron2 ...). Their code is correct as published, so every error is a
false alarm. Run it yourself:

    python benchmarks/lint_corpus.py --wheels            # pip download --no-deps, unzip
    python benchmarks/lint_corpus.py --wheel-dir DIR     # wheels you downloaded before
    python benchmarks/lint_corpus.py NAME=PATH ...       # more trees (git checkouts)

Wheels are downloaded with ``pip download --no-deps`` into a temporary folder and
unzipped there: nothing is installed into any environment. It prints, per project, the
files linted and the errors and warnings by kind, then every warning and error with its
place, and exits 1 when any error was reported. Standard library only.
"""

from __future__ import annotations

import argparse
import collections
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

# The model code inside each wheel (what users subclass and copy).
WHEEL_TREES = {
    "timm": "timm/models",
    "ultralytics": "ultralytics",
    "transformers": "transformers/models",
    "keras_hub": "keras_hub/src",
}
DEFAULT_WHEELS = ("timm", "ultralytics", "transformers", "keras_hub")


def download(names: list[str], into: Path) -> None:
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(into), *names]
    subprocess.run(cmd, check=True)


def unpack(wheel_dir: Path, into: Path) -> dict[str, Path]:
    """Unzip each known wheel found in ``wheel_dir``; name -> its model-code folder."""
    trees: dict[str, Path] = {}
    for wheel in sorted(wheel_dir.glob("*.whl")):
        name = wheel.name.split("-")[0].lower()
        if name not in WHEEL_TREES or name in trees:
            continue
        target = into / name
        with zipfile.ZipFile(wheel) as zf:
            zf.extractall(target)
        trees[f"{name} {wheel.name.split('-')[1]}"] = target / WHEEL_TREES[name]
    return trees


def lint(tree: Path, jobs: int | None) -> dict[str, object]:
    cmd = [
        sys.executable,
        "-m",
        "compataudit",
        "lint",
        str(tree),
        "-f",
        "json",
        "--fail-on",
        "never",
        "--no-cache",
    ]
    if jobs:
        cmd += ["--jobs", str(jobs)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"lint failed on {tree}: {proc.stderr.strip()}")
    result: dict[str, object] = json.loads(proc.stdout)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs="*", metavar="NAME=PATH", help="more trees to lint")
    parser.add_argument(
        "--wheels", action="store_true", help=f"download {', '.join(DEFAULT_WHEELS)} with pip (no deps)"
    )
    parser.add_argument("--wheel-dir", type=Path, help="unzip the wheels already in DIR")
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="lint-corpus-"))
    trees: dict[str, Path] = {}
    if args.wheels:
        download(list(DEFAULT_WHEELS), work / "wheels")
        trees.update(unpack(work / "wheels", work / "src"))
    if args.wheel_dir:
        trees.update(unpack(args.wheel_dir, work / "src"))
    for spec in args.trees:
        name, _, path = spec.partition("=")
        trees[name] = Path(path or name)
    if not trees:
        parser.error("nothing to lint: give --wheels, --wheel-dir or NAME=PATH")
    errors = 0
    listing: list[str] = []
    print(f"{'project':<28} {'files':>6} {'errors':>7} {'warnings':>9}  by kind")
    for name, tree in trees.items():
        result = lint(tree, args.jobs)
        problems = result["problems"]
        assert isinstance(problems, list)
        kinds = collections.Counter(f"{p['severity']}:{p['kind']}" for p in problems)
        n_err = sum(1 for p in problems if p["severity"] == "error")
        errors += n_err
        files = sum(1 for _ in tree.rglob("*.py"))
        print(f"{name:<28} {files:>6} {n_err:>7} {len(problems) - n_err:>9}  {dict(kinds)}")
        listing.extend(
            f"  {p['severity']:<7} {p['kind']:<20} {Path(p['path']).relative_to(tree)}:{p['line']} "
            f"{p['symbol']}  ({name})"
            for p in problems
        )
    if listing:
        print("\nEvery problem (each must have a reason you would defend):")
        print("\n".join(listing))
    raise SystemExit(1 if errors else 0)


if __name__ == "__main__":
    main()
