"""Record what a real machine shows compataudit, in one call, into one folder.

Run from the source tree on the machine to record (a GPU machine, or any other: without
a GPU it records "no GPU", which is also what the test of this script does)::

    PYTHONPATH=. python3 tools/gpu_record.py OUT_DIR [--smoke-timeout 240] [--framework torch]

It writes, each command bounded by a timeout and each failure recorded rather than
raised (a recording of a broken machine is still a recording):

* ``nvidia-smi.txt``, ``nvidia-smi-q.txt``, ``nvidia-smi-q.xml``: the driver's own views;
* ``query-gpu.csv`` / ``query-gpu-old.csv``: the exact ``--query-gpu`` calls the probe makes;
* ``nvml.json``: every NVML call the probe makes, per GPU, with its answer or error code
  (what a stand-in ``pynvml`` replays in tests/probes/test_gpu_recording.py);
* ``snapshot.json`` (``compataudit snapshot --redact``), ``check.json``
  (``check --format json --redact`` with the smoke kernels on every device and dtype),
  ``check.txt`` (the table a person sees);
* ``timings.tsv``: forward/backward milliseconds per framework, device and dtype;
* ``environment.json``: driver, CUDA, GPUs and MIG state, Python and framework versions;
* ``manifest.json``: every command, its exit code, wall seconds and the end of stderr.

GPU UUIDs, serial numbers, the host name and the user's home are replaced in every file,
so a recording can be committed as a test fixture.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the compataudit of this checkout, not an installed one

from compataudit.probes.nvidia_smi import (  # noqa: E402
    _OLD_DRIVER_FIELDS,
    QUERY_FIELDS,
    _query_argv,
)

FRAMEWORKS = (
    "torch",
    "jax",
    "jaxlib",
    "tensorflow",
    "tensorflow-cpu",
    "keras",
    "numpy",
    "nvidia-ml-py",
    "typer",
    "packaging",
)
_UUID_RE = re.compile(r"\b(GPU|MIG)-[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}\b")
_SERIAL_RE = re.compile(r"(Serial Number\s*:\s*|<serial>)([^<\n]+)")
_TAIL = 2000


class Scrubber:
    """Replaces identifying values wherever they appear, keeping each one's shape readable."""

    def __init__(self) -> None:
        self.words: dict[str, str] = {}
        places = (
            (str(ROOT), "<src>"),
            (sys.prefix, "<prefix>"),
            (socket.gethostname(), "<host>"),
            (str(Path.home()), "<home>"),
        )
        for value, label in places:
            if len(value) >= 3 and value not in ("/", "/root", "/usr", "/usr/local", "/opt"):
                self.words[value] = label
        try:
            user = getpass.getuser()
        except (KeyError, OSError):
            user = ""
        if len(user) >= 3 and user != "root":
            self.words[user] = "<user>"
        self._uuids: dict[str, str] = {}

    def _uuid(self, match: re.Match[str]) -> str:
        key = match.group(0).upper()
        if key not in self._uuids:
            # a stable, obviously fake UUID per real one: the same GPU stays the same GPU
            n = len(self._uuids)
            self._uuids[key] = f"{match.group(1)}-{n:08x}-0000-0000-0000-000000000000"
        return self._uuids[key]

    def text(self, text: str) -> str:
        text = _UUID_RE.sub(self._uuid, text)
        text = _SERIAL_RE.sub(lambda m: m.group(1) + "0000000000000", text)
        for value in sorted(self.words, key=len, reverse=True):
            text = text.replace(value, self.words[value])
        return text


class Recorder:
    def __init__(self, out: Path, scrub: Scrubber) -> None:
        self.out = out
        self.scrub = scrub
        self.manifest: list[dict[str, Any]] = []

    def write(self, name: str, text: str) -> None:
        (self.out / name).write_text(self.scrub.text(text), encoding="utf-8")

    def run(
        self, name: str | None, argv: list[str], timeout: float, env: dict[str, str] | None = None
    ) -> str:
        """Run argv, record it in the manifest, write its stdout to ``name``; return stdout."""
        start = time.monotonic()
        entry: dict[str, Any] = {"file": name, "argv": argv, "timeout_s": timeout}
        stdout = ""
        try:
            done = subprocess.run(
                argv,
                capture_output=True,
                timeout=timeout,
                check=False,
                env=env,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
            stdout = done.stdout.decode("utf-8", "replace")
            entry.update(
                exit_code=done.returncode, stderr_tail=done.stderr.decode("utf-8", "replace")[-_TAIL:]
            )
        except FileNotFoundError:
            entry.update(exit_code=None, error=f"{argv[0]}: not found")
        except subprocess.TimeoutExpired as exc:
            stdout = (exc.stdout or b"").decode("utf-8", "replace")
            entry.update(exit_code=None, error=f"timed out after {timeout:g} s")
        except OSError as exc:
            entry.update(exit_code=None, error=f"{argv[0]}: {exc.strerror or exc}")
        entry["wall_s"] = round(time.monotonic() - start, 3)
        if "stderr_tail" in entry:
            entry["stderr_tail"] = self.scrub.text(entry["stderr_tail"])
        self.manifest.append(entry)
        if name is not None:
            self.write(name, stdout)
        return stdout


def record_nvml(scrub: Scrubber) -> dict[str, Any]:
    """Every NVML answer the probe reads, as plain values (bytes decoded) or {"error": code}."""
    try:
        import pynvml  # nvidia-ml-py
    except ImportError as exc:
        return {"library": f"not importable: {exc}"}

    def ask(fn_name: str, *args: Any) -> Any:
        fn = getattr(pynvml, fn_name, None)
        if fn is None:
            return {"error": "absent"}
        try:
            value = fn(*args)
        except pynvml.NVMLError as exc:
            return {"error": int(getattr(exc, "value", -1))}
        return _plain(value)

    record: dict[str, Any] = {"init": ask("nvmlInit")}
    if isinstance(record["init"], dict) and "error" in record["init"]:
        return record
    for fn in (
        "nvmlSystemGetDriverVersion",
        "nvmlSystemGetCudaDriverVersion_v2",
        "nvmlSystemGetCudaDriverVersion",
    ):
        record[fn] = ask(fn)
    count = ask("nvmlDeviceGetCount")
    record["nvmlDeviceGetCount"] = count
    devices = []
    for index in range(count if isinstance(count, int) else 0):
        handle = pynvml.nvmlDeviceGetHandleByIndex(index)
        device = {
            fn: ask(fn, handle)
            for fn in (
                "nvmlDeviceGetName",
                "nvmlDeviceGetUUID",
                "nvmlDeviceGetSerial",
                "nvmlDeviceGetCudaComputeCapability",
                "nvmlDeviceGetMigMode",
                "nvmlDeviceGetMemoryInfo",
                "nvmlDeviceGetPciInfo",
            )
        }
        devices.append(device)
    record["devices"] = devices
    ask("nvmlShutdown")
    scrubbed: dict[str, Any] = json.loads(scrub.text(json.dumps(record)))
    return scrubbed


def _plain(value: Any) -> Any:
    """NVML's ctypes structures and bytes as JSON values."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (int, float, str)) or value is None:
        return value
    fields = getattr(value, "_fields_", None)
    if fields:
        return {name: _plain(getattr(value, name)) for name, *_ in fields}
    return repr(value)


def timings(report: dict[str, Any]) -> str:
    rows = ["framework\tdevice\tdtype\tstatus\tforward_ms\tbackward_ms\tmax_rel_error"]
    for r in report.get("smoke", []):
        cells = [r.get(k) for k in ("framework", "device", "dtype", "status", "forward_ms", "backward_ms")]
        cells.append(r.get("max_rel_error"))
        rows.append("\t".join("" if c is None else str(c) for c in cells))
    return "\n".join(rows) + "\n"


def environment(query_csv: str, report: dict[str, Any]) -> dict[str, Any]:
    from compataudit.probes.nvidia_smi import parse_query_csv

    nvidia = report.get("environment", {}).get("nvidia", {})
    try:
        gpus, driver = parse_query_csv(query_csv) if query_csv.strip() else ([], None)
        gpu_rows = [
            {"index": g.index, "name": g.name, "compute_capability": g.compute_capability, "mig": g.mig_mode}
            for g in gpus
        ]
    except ValueError as exc:
        gpu_rows, driver = [{"unreadable": str(exc)}], None
    packages = {
        p["name"]: p["version"]
        for p in report.get("environment", {}).get("packages", [])
        if p.get("name") in FRAMEWORKS or str(p.get("name", "")).startswith("nvidia-")
    }
    return {
        "driver_from_query": driver,
        "driver": nvidia.get("driver_version"),
        "cuda_driver_version": nvidia.get("cuda_driver_version"),
        "gpus": gpu_rows,
        "python": sys.version.split()[0],
        "packages": packages,
        "cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="folder to write the recording into (created)")
    parser.add_argument("--smoke-timeout", type=float, default=240.0, help="per framework, seconds")
    parser.add_argument("--framework", action="append", default=[], help="only these smoke kernels")
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    scrub = Scrubber()
    rec = Recorder(out, scrub)
    smi = shutil.which("nvidia-smi") or "nvidia-smi"

    rec.run("nvidia-smi.txt", [smi], 30)
    rec.run("nvidia-smi-q.txt", [smi, "-q"], 60)
    rec.run("nvidia-smi-q.xml", [smi, "-q", "-x"], 60)
    query = rec.run("query-gpu.csv", [smi, *_query_argv(QUERY_FIELDS)[1:]], 30)
    rec.run("query-gpu-old.csv", [smi, *_query_argv(_OLD_DRIVER_FIELDS)[1:]], 30)
    rec.write("nvml.json", json.dumps(record_nvml(scrub), indent=1) + "\n")

    ca = [sys.executable, "-m", "compataudit"]
    env = dict(os.environ, PYTHONPATH=str(ROOT), NO_COLOR="1", COLUMNS="100")
    rec.run("snapshot.json", [*ca, "snapshot", "--redact"], 120, env)
    smoke_args = ["--smoke-timeout", f"{args.smoke_timeout:g}"]
    for name in args.framework:
        smoke_args += ["--framework", name]
    budget = args.smoke_timeout * 2 + 120  # frameworks run in parallel; import and data load on top
    check = rec.run("check.json", [*ca, "check", "--format", "json", "--redact", *smoke_args], budget, env)
    try:
        report = json.loads(check)
    except ValueError:
        report = {}
    rec.write("timings.tsv", timings(report))
    rec.run("check.txt", [*ca, "check", "--no-smoke", "--redact"], 120, env)
    rec.write("environment.json", json.dumps(environment(query, report), indent=1) + "\n")
    rec.write("manifest.json", json.dumps(rec.manifest, indent=1) + "\n")
    ran = sum(1 for r in report.get("smoke", []) if r.get("status") == "pass")
    print(f"recorded {len(rec.manifest)} commands into {out} ({ran} smoke kernel(s) passed)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
