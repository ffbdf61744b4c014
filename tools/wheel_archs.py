"""Read the GPU architectures a published torch wheel was built for (maintainer tool).

Not imported by compataudit. For each `torch==X` given, pip (as configured on the
machine; set PIP_CONFIG_FILE=/dev/null to read the index as it is) resolves and
downloads the Linux x86_64 wheel, and this reads from it without importing it:

* `torch/version.py`: the local version (`2.7.0+cu126`), CUDA and `git_version`
  (the commit of the release tag the wheel was built from);
* the `nvidia-cudnn-cu*` pin of its METADATA (the cuDNN the build needs);
* the `torch.cuda.get_arch_list()` string (`sm_50 sm_60 ... compute_120`) that the
  build bakes into its shared libraries, so the list is the wheel's own fact.

Prints one JSON object per wheel (URL and sha256 included) to cite in matrices/.
Unset PIP_FIND_LINKS too when it points at local builds (they would win).

    python tools/wheel_archs.py 2.6.0 2.7.0 --python 3.11
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

PLATFORMS = ("manylinux_2_28_x86_64", "manylinux2014_x86_64", "manylinux1_x86_64")
ARCH_STRING = re.compile(rb"sm_\d{2,3}(?: sm_\d{2,3})+(?: compute_\d{2,3})*")
CUDNN_PIN = re.compile(r"^Requires-Dist: nvidia-cudnn-cu\d+\s*\(?==([\w.]+)", re.M)
CHUNK = 1 << 24


def _pip(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", *args], check=True, capture_output=True)


def _platform_args(python: str) -> list[str]:
    args = ["--no-deps", "--only-binary=:all:", "--python-version", python]
    for platform in PLATFORMS:
        args += ["--platform", platform]
    return args


def _resolve(spec: str, python: str, work: Path) -> dict[str, str]:
    """URL and sha256 of the wheel pip picks, read from its install report."""
    report = work / "report.json"
    target = work / "target"
    _pip(
        "install",
        "--dry-run",
        "--ignore-installed",
        "--target",
        str(target),
        "--report",
        str(report),
        *_platform_args(python),
        spec,
    )
    info = json.loads(report.read_text())["install"][0]["download_info"]
    return {"url": info["url"], "sha256": info["archive_info"]["hashes"]["sha256"]}


def _arch_string(wheel: zipfile.ZipFile) -> str | None:
    """The arch list baked into the libraries; libtorch_python first (smallest)."""
    names = [n for n in wheel.namelist() if re.fullmatch(r"torch/lib/libtorch_(python|cuda)\.so", n)]
    for name in sorted(names, key=lambda n: wheel.getinfo(n).file_size):
        tail = b""
        with wheel.open(name) as stream:
            while chunk := stream.read(CHUNK):
                found = ARCH_STRING.search(tail + chunk)
                if found:
                    return found.group().decode()
                tail = chunk[-64:]
    return None


def _version_py(text: str) -> dict[str, str]:
    fields = dict(re.findall(r"^(__version__|cuda|git_version)\b[^=]*=\s*'([^']*)'", text, re.M))
    return {
        "local_version": fields.get("__version__", ""),
        "cuda": fields.get("cuda", ""),
        "git_version": fields.get("git_version", ""),
    }


def read_wheel(path: Path) -> dict[str, object]:
    with zipfile.ZipFile(path) as wheel:
        version = _version_py(wheel.read("torch/version.py").decode())
        meta_name = next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
        pin = CUDNN_PIN.search(wheel.read(meta_name).decode())
        archs = _arch_string(wheel)
    tokens = archs.split() if archs else []
    return {
        **version,
        "cudnn_pin": pin.group(1) if pin else None,
        "arch_string": archs,
        "archs": [f"{t[3:-1]}.{t[-1]}" for t in tokens if t.startswith("sm_")],
        "ptx": [f"{t[8:-1]}.{t[-1]}" for t in tokens if t.startswith("compute_")],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("versions", nargs="+", help="torch versions, e.g. 2.7.0")
    parser.add_argument("--python", default="3.11", help="CPython X.Y of the wheel to read")
    args = parser.parse_args()
    for version in args.versions:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            spec = f"torch=={version}"
            found = _resolve(spec, args.python, work)
            _pip("download", "-d", str(work / "dl"), *_platform_args(args.python), spec)
            wheel = next((work / "dl").glob("*.whl"))
            print(json.dumps({"wheel": wheel.name, **found, **read_wheel(wheel)}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
