"""``nvidia-smi``: the fallback when NVML cannot be used from Python.

Its text is not a stable interface, so parsing is tolerant: both banner
generations are read (``Driver Version`` / ``CUDA Version`` before R610,
``KMD Version`` / ``CUDA UMD Version`` from R610 on), GPU rows come from
``--query-gpu`` CSV (names contain spaces and commas never), and drivers too
old for the ``compute_cap`` field are asked again without it.
"""

from __future__ import annotations

import csv
import re
import time

from compataudit.model import Gpu, ProbeAttempt, ProbeStatus
from compataudit.probes.facts import NvidiaFacts
from compataudit.probes.run import run_command

QUERY_FIELDS = (
    "index",
    "name",
    "uuid",
    "pci.bus_id",
    "memory.total",
    "compute_cap",
    "mig.mode.current",
    "driver_version",
)
_OLD_DRIVER_FIELDS = ("index", "name", "uuid", "pci.bus_id", "memory.total", "driver_version")

_DRIVER_RE = re.compile(r"(?:Driver|KMD) Version\s*:\s*([0-9]+(?:\.[0-9]+)+)")
_CUDA_RE = re.compile(r"CUDA(?: UMD)? Version\s*:\s*([0-9]+\.[0-9]+)")
_CC_RE = re.compile(r"^\d+\.\d+$")
_MISSING = {"", "n/a", "[n/a]", "[not supported]", "not supported", "[unknown error]"}


def parse_banner(text: str) -> tuple[str | None, str | None]:
    """(driver version, CUDA version the driver supports) from ``nvidia-smi`` or ``-q`` text."""
    driver = _DRIVER_RE.search(text)
    cuda = _CUDA_RE.search(text)
    return (driver.group(1) if driver else None, cuda.group(1) if cuda else None)


def _clean(value: str) -> str | None:
    value = value.strip()
    return None if value.lower() in _MISSING else value


def parse_query_csv(text: str, fields: tuple[str, ...] = QUERY_FIELDS) -> tuple[list[Gpu], str | None]:
    """GPUs from ``--query-gpu=<fields> --format=csv,noheader,nounits`` output, and the driver."""
    gpus = []
    driver = None
    import io

    for row in csv.reader(io.StringIO(text), skipinitialspace=True):
        if not row or not any(cell.strip() for cell in row):
            continue
        if len(row) != len(fields):
            raise ValueError(f"expected {len(fields)} columns, got {len(row)}: {_seen(','.join(row))}")
        values = dict(zip(fields, (_clean(c) for c in row), strict=False))
        index_text = values.get("index")
        if index_text is None or not index_text.isdigit():
            raise ValueError(f"not a GPU row: {_seen(','.join(row))}")
        cc = values.get("compute_cap")
        if cc is not None and not _CC_RE.match(cc):
            raise ValueError(f"compute capability {cc!r} in: {_seen(','.join(row))}")
        memory = values.get("memory.total")
        mig = values.get("mig.mode.current")
        gpus.append(
            Gpu(
                index=int(index_text),
                name=values.get("name") or f"GPU {index_text}",
                uuid=values.get("uuid"),
                compute_capability=cc,
                memory_total_mib=int(float(memory)) if memory and _is_number(memory) else None,
                mig_mode=mig.lower() if mig else None,
                pci_bus_id=values.get("pci.bus_id"),
            )
        )
        driver = driver or values.get("driver_version")
    return gpus, driver


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def probe_nvidia_smi(timeout: float = 10.0) -> tuple[ProbeAttempt, NvidiaFacts | None]:
    start = time.perf_counter()

    def attempt(status: ProbeStatus, detail: str | None) -> ProbeAttempt:
        return ProbeAttempt("nvidia-smi", status, detail, round(time.perf_counter() - start, 4))

    fields: tuple[str, ...] = QUERY_FIELDS
    query = run_command(_query_argv(fields), timeout=timeout)
    if query.status is ProbeStatus.ERROR and "not a valid field" in (query.stdout + query.stderr):
        fields = _OLD_DRIVER_FIELDS  # pre-R510 drivers know no compute_cap / mig fields
        query = run_command(_query_argv(fields), timeout=timeout)
    if query.status is not ProbeStatus.OK:
        return attempt(query.status, query.detail), None
    problem = _unusable(query.stdout)
    if problem is not None:
        return attempt(ProbeStatus.ERROR, problem), None
    try:
        gpus, driver = parse_query_csv(query.stdout, fields)
    except (ValueError, csv.Error) as exc:
        return attempt(ProbeStatus.ERROR, f"unrecognised nvidia-smi output: {exc}"), None
    banner = run_command(["nvidia-smi"], timeout=timeout)
    banner_driver, cuda = parse_banner(banner.stdout) if banner.status is ProbeStatus.OK else (None, None)
    facts = NvidiaFacts(driver_version=driver or banner_driver, cuda_driver_version=cuda, gpus=tuple(gpus))
    detail = None if cuda else "CUDA version not found in the nvidia-smi banner"
    return attempt(ProbeStatus.OK, detail), facts


def _seen(text: str, limit: int = 60) -> str:
    """A short, printable sample of what a tool printed, for the finding's detail."""
    sample = text.strip()[:limit]
    return repr(sample) + ("..." if len(text.strip()) > limit else "")


def _unusable(stdout: str) -> str | None:
    """Why a successful (exit 0) ``--query-gpu`` answer cannot be read, or None.

    A driver that answers with nothing, or with binary junk, must not pass as "0 GPUs".
    """
    if not stdout.strip():
        return "nvidia-smi --query-gpu exited 0 but printed nothing"
    if "\x00" in stdout or "\ufffd" in stdout:
        return f"nvidia-smi --query-gpu printed binary data, not CSV: {_seen(stdout)}"
    return None


def _query_argv(fields: tuple[str, ...]) -> list[str]:
    return ["nvidia-smi", f"--query-gpu={','.join(fields)}", "--format=csv,noheader,nounits"]
