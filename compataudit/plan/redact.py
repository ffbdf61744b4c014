"""``--redact``: make a snapshot or report safe to paste into a public bug report.

Removed: hostnames, user names, home directories, GPU UUIDs and serials (and,
on request, PCI bus IDs). Kept: everything a compatibility verdict needs —
versions, build variants, driver, compute capabilities, GPU names, OS.

Paths keep their shape so a reader can still tell a venv from a conda env:
``/home/alice/venvs/x/lib`` becomes ``~/venvs/x/lib``. A user name found in a
home path is also removed wherever else it appears (``/scratch/alice/...``).
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, TypeVar

from compataudit.model import Environment, Report

T = TypeVar("T")

USER = "<user>"
HOST = "<host>"
UUID = "<uuid>"

# A home directory, possibly under a mount prefix (/mnt/home/alice, /nfs/Users/bob).
_HOME_RE = re.compile(r"(?:/[\w.-]+)*?/(?:home|Users)/([\w.-]+)|(?<![\w.-])/root(?=/|\b)")
_WIN_HOME_RE = re.compile(r"[A-Za-z]:\\Users\\([^\\/\s:;\"']+)")
# NVIDIA GPU and MIG UUIDs as NVML, nvidia-smi and CUDA_VISIBLE_DEVICES write them.
_GPU_UUID_RE = re.compile(r"\b(GPU|MIG)-[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}\b")
_BARE_UUID_RE = re.compile(r"\b[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}\b")
_PCI_RE = re.compile(r"\b[0-9a-fA-F]{4,8}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]\b")

# Fields that identify a thing we must keep verbatim (never scrubbed, even if a
# user happens to be called "cuda"): names, versions and the like.
_KEEP_FIELDS = frozenset(
    {
        "name",
        "version",
        "requires",
        "requires_python",
        "modules",
        "framework",
        "distribution",
        "cuda",
        "cudnn",
        "hip",
        "archs",
        "compute_capability",
        "driver_version",
        "cuda_driver_version",
        "nvcc_version",
        "cudnn_version",
        "system",
        "machine",
        "implementation",
        "env_kind",
        "origin",
        "created_at",
        "code",
        "components",
        "git_version",
        "index",
        "status",
        "severity",
    }
)
# Fields dropped outright.
_DROP_FIELDS = frozenset({"hostname", "uuid", "serial"})


class _Scrubber:
    def __init__(self, users: set[str], hosts: set[str], drop_pci: bool) -> None:
        self.user_re = _word_re(users)
        self.host_re = _word_re(hosts)
        self.drop_pci = drop_pci

    def text(self, value: str) -> str:
        value = _HOME_RE.sub("~", value)
        value = _WIN_HOME_RE.sub("~", value)
        value = _GPU_UUID_RE.sub(lambda m: f"{m.group(1)}-{UUID}", value)
        value = _BARE_UUID_RE.sub(UUID, value)
        if self.drop_pci:
            value = _PCI_RE.sub("<pci>", value)
        if self.host_re is not None:
            value = self.host_re.sub(HOST, value)
        if self.user_re is not None:
            value = self.user_re.sub(USER, value)
        return value

    def value(self, value: Any, field_name: str = "") -> Any:
        if isinstance(value, str):
            return value if field_name in _KEEP_FIELDS else self.text(value)
        if isinstance(value, tuple):
            return tuple(self.value(v, field_name) for v in value)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            changes = {}
            for f in dataclasses.fields(value):
                old = getattr(value, f.name)
                if f.name in _DROP_FIELDS or (f.name == "pci_bus_id" and self.drop_pci):
                    new = None
                else:
                    new = self.value(old, f.name)
                if new is not old:
                    changes[f.name] = new
            return dataclasses.replace(value, **changes) if changes else value
        return value


def _usable_name(name: str) -> bool:
    # Too short or numeric names would mangle unrelated text (a user "1", a host "gpu").
    return len(name) >= 3 and not name.isdigit() and name not in {"localhost", "root"}


def _word_re(names: set[str]) -> re.Pattern[str] | None:
    # Longest first, so "alice2" is not half-replaced by "alice".
    words = sorted((n for n in names if _usable_name(n)), key=len, reverse=True)
    if not words:
        return None
    return re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(w) for w in words) + r")(?![\w-])")


def _identities(env: Environment, extra_texts: list[str]) -> tuple[set[str], set[str]]:
    """User names (from home paths anywhere) and host names (full and short) to remove."""
    texts = list(extra_texts)
    _collect_strings(env, texts)
    users: set[str] = set()
    for text in texts:
        users.update(m.group(1) for m in _HOME_RE.finditer(text) if m.group(1))
        users.update(m.group(1) for m in _WIN_HOME_RE.finditer(text))
    hosts: set[str] = set()
    if env.platform.hostname:
        full = env.platform.hostname.strip()
        hosts.update({full, full.split(".")[0]})
    return users, hosts


def _collect_strings(value: Any, out: list[str]) -> None:
    if isinstance(value, str):
        out.append(value)
    elif isinstance(value, tuple):
        for v in value:
            _collect_strings(v, out)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            _collect_strings(getattr(value, f.name), out)


def redact_environment(env: Environment, *, drop_pci: bool = False) -> Environment:
    """``env`` without hostnames, user names, home paths, GPU UUIDs and serials."""
    users, hosts = _identities(env, [])
    result: Environment = _Scrubber(users, hosts, drop_pci).value(env)
    return result


def redact_report(report: Report, *, drop_pci: bool = False) -> Report:
    """``report`` with its environment, findings and smoke details redacted alike."""
    texts: list[str] = []
    _collect_strings(report.findings, texts)
    _collect_strings(report.smoke, texts)
    users, hosts = _identities(report.environment, texts)
    scrub = _Scrubber(users, hosts, drop_pci)
    return dataclasses.replace(
        report,
        environment=scrub.value(report.environment),
        findings=scrub.value(report.findings),
        smoke=scrub.value(report.smoke),
    )
