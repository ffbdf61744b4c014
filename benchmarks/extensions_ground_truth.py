"""The static extension check (EXT001/EXT002) against what the dynamic loader really does.

For each environment given (a venv or conda prefix with torch and compiled extensions
installed): ``compataudit check --no-smoke --env PREFIX --format json`` says, per
extension object, whether it will load; then that environment's own interpreter does
``import torch`` and ``ctypes.CDLL(object)`` for every object, and the loader's answer
(loaded, or the ``undefined symbol`` / ``cannot open shared object file`` message) is
the truth. Prints one line per object and the counts of false errors and misses.

    python benchmarks/extensions_ground_truth.py /tmp/venv-a /tmp/venv-b

Only the standard library; compataudit must be importable by this interpreter.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

_PROBE = r"""
import ctypes, json, sys
try:
    import torch  # what an extension's import does first
except Exception as exc:
    print(json.dumps({"torch": repr(exc)}))
    sys.exit(0)
out = {}
for path in sys.argv[1:]:
    try:
        ctypes.CDLL(path)
        out[path] = None
    except OSError as exc:
        out[path] = str(exc)
print(json.dumps(out))
"""


def _interpreter(prefix: Path) -> Path:
    return prefix / "bin" / "python"


def audit(prefix: Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "compataudit",
            "check",
            "--no-smoke",
            "--env",
            str(prefix),
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    report: dict[str, Any] = json.loads(done.stdout)
    return report["environment"].get("extensions", []), report


def truth(prefix: Path, paths: list[str]) -> dict[str, str | None]:
    done = subprocess.run(
        [str(_interpreter(prefix)), "-c", _PROBE, *paths], capture_output=True, text=True, check=False
    )
    lines = done.stdout.strip().splitlines()
    if not lines:
        raise SystemExit(f"{prefix}: the probe printed nothing: {done.stderr.strip()[-300:]}")
    data: dict[str, str | None] = json.loads(lines[-1])
    return data


def main(prefixes: list[str]) -> int:
    false_errors = misses = objects = 0
    for prefix in map(Path, prefixes):
        objs, report = audit(prefix)
        location = {p["name"]: p.get("location") for p in report["environment"]["packages"]}
        paths = {str(Path(location[o["distribution"]]) / o["path"]): o for o in objs}
        answers = truth(prefix, list(paths))
        if "torch" in answers:
            print(f"{prefix}: import torch failed: {answers['torch']}")
            continue
        codes = sorted({f["code"] for f in report["findings"] if f["code"].startswith("EXT")})
        print(f"{prefix}: {len(paths)} extension objects; EXT findings: {', '.join(codes) or 'none'}")
        for path, obj in paths.items():
            objects += 1
            predicted = bool(obj["unresolved"]) or bool(obj["missing_count"])
            error = answers.get(path)
            agrees = predicted == (error is not None)
            if predicted and error is None:
                false_errors += 1
            if error is not None and not predicted:
                misses += 1
            said = f"unresolved {obj['unresolved']}" if obj["unresolved"] else ""
            if obj["missing_count"]:
                said += f" missing {obj['missing_count']}: {obj['missing_symbols'][:1]}"
            named = ""
            if error is not None and predicted:
                names = [*obj["unresolved"], *obj["missing_symbols"]]
                ours = any(n in error for n in names)
                named = " (the loader names one of ours)" if ours else " (other name)"
            print(
                f"  {'ok ' if agrees else 'BAD'} {obj['distribution']} {obj['version']} {obj['path']}: "
                f"static: {said.strip() or 'loads'}; loader: {error or 'loads'}{named}"
            )
    print(f"objects {objects}, false errors {false_errors}, misses {misses}")
    return 0 if false_errors == 0 and misses == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
