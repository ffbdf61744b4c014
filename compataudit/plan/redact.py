"""``--redact``: make a snapshot or report safe to paste into a public bug report.

Removed: hostnames, user names, home directories, GPU UUIDs and serials (and,
on request, PCI bus IDs). Kept: everything a compatibility verdict needs —
versions, build variants, driver, compute capabilities, GPU names, OS.

Paths keep their shape so a reader can still tell a venv from a conda env:
``/home/alice/venvs/x/lib`` becomes ``~/venvs/x/lib``. A user name found in a
home path is also removed wherever else it appears (``/scratch/alice/...``).
"""

from __future__ import annotations

import contextlib
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
    def __init__(
        self,
        users: set[str],
        hosts: set[str],
        drop_pci: bool,
        homes: set[str] | None = None,
        ids: set[str] | None = None,
    ) -> None:
        self.user_re = _word_re(users)
        self.host_re = _word_re(hosts)
        self.drop_pci = drop_pci
        # By value: this user's home wherever it is (/data/alice, /srv/u/alice), and the
        # GPUs' UUIDs and serials wherever they are quoted (a finding, a smoke detail).
        self.home_re = _literal_re(homes or set(), tail=r"(?![\w.-])")
        self.id_re = _literal_re(ids or set(), tail=r"(?![\w-])")

    def text(self, value: str) -> str:
        if self.home_re is not None:
            value = self.home_re.sub("~", value)
        value = _HOME_RE.sub("~", value)
        value = _WIN_HOME_RE.sub("~", value)
        value = _GPU_UUID_RE.sub(lambda m: f"{m.group(1)}-{UUID}", value)
        value = _BARE_UUID_RE.sub(UUID, value)
        if self.id_re is not None:
            value = self.id_re.sub(UUID, value)
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


def _literal_re(values: set[str], *, tail: str) -> re.Pattern[str] | None:
    words = sorted((v for v in values if len(v) >= 3 and v != "/"), key=len, reverse=True)
    if not words:
        return None
    return re.compile("(?:" + "|".join(re.escape(w) for w in words) + ")" + tail)


def _this_user() -> tuple[set[str], set[str], set[str]]:
    """(user names, home directories, host names) of the user and machine running us."""
    import getpass
    import os
    import socket

    users = {os.environ.get(v, "") for v in ("USER", "LOGNAME", "USERNAME")}
    homes = {os.environ.get("HOME", "")}
    with contextlib.suppress(Exception):  # no passwd entry in a container: KeyError, OSError
        users.add(getpass.getuser())
    with contextlib.suppress(ImportError, KeyError, OSError):
        import pwd

        entry = pwd.getpwuid(os.getuid())
        users.add(entry.pw_name)
        homes.add(entry.pw_dir)
    hosts: set[str] = set()
    with contextlib.suppress(OSError):
        host = socket.gethostname().strip()
        hosts.update({host, host.split(".")[0]})
    homes = {h.rstrip("/") for h in homes if h and h.rstrip("/")}
    return {u for u in users if u}, homes, {h for h in hosts if h}


def _gpu_ids(env: Environment) -> set[str]:
    return {v for gpu in env.nvidia.gpus for v in (gpu.uuid, gpu.serial) if v and len(v) >= 3}


def _scrubber(env: Environment, texts: list[str], drop_pci: bool) -> _Scrubber:
    users, hosts = _identities(env, texts)
    my_users, homes, my_hosts = _this_user()
    return _Scrubber(users | my_users, hosts | my_hosts, drop_pci, homes, _gpu_ids(env))


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
    result: Environment = _scrubber(env, [], drop_pci).value(env)
    return result


def redact_report(report: Report, *, drop_pci: bool = False) -> Report:
    """``report`` with its environment, findings and smoke details redacted alike."""
    texts: list[str] = []
    _collect_strings(report.findings, texts)
    _collect_strings(report.smoke, texts)
    scrub = _scrubber(report.environment, texts, drop_pci)
    return dataclasses.replace(
        report,
        environment=scrub.value(report.environment),
        findings=scrub.value(report.findings),
        smoke=scrub.value(report.smoke),
    )
