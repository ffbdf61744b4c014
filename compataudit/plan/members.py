"""What a fleet member says about itself: documents from files or stdin, and its problems.

A member is a snapshot or a ``check --format json`` report. A report carries its
own verdict: smoke kernels that failed and findings at or above ``--fail-on``.
Those make the node an outlier even when its stack equals the majority's, so a
node whose ``torch cuda:3`` kernel crashed is never hidden in the biggest group.

Read straight from the JSON (the fleet's fast path): only the fields used here
are type-checked.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import IO, Any, NamedTuple

from compataudit.model import Severity, SmokeStatus, reaches

STDIN = "-"
_FAILED = frozenset(s.value for s in SmokeStatus if s.failed)
_SEVERITIES = frozenset(s.value for s in Severity)


class GpuRef(NamedTuple):
    """The physical GPU behind a framework's device: as nvidia-smi and dcgm-exporter name it."""

    name: str
    uuid: str
    smi_index: str  # nvidia-smi's index (dcgm-exporter's ``gpu`` label)


class MemberError(ValueError):
    """A member whose verdict fields do not fit a report."""


@dataclass(frozen=True)
class Problem:
    """One reason a member fails the gate: a smoke kernel or a finding of its own."""

    kind: str  # "smoke" | "finding"
    framework: str = ""
    device: str = ""
    gpu: str = ""  # the GPU behind the device: "NVIDIA H100 80GB HBM3"
    gpu_uuid: str = ""
    status: str = ""  # smoke status: fail | error | crash | timeout
    code: str = ""
    severity: str = ""
    title: str = ""

    def text(self) -> str:
        if self.kind == "smoke":
            on = f" ({self.gpu}{', ' + self.gpu_uuid if self.gpu_uuid else ''})" if self.gpu else ""
            return f"smoke {self.framework} {self.device}{on}: {self.status}" + (
                f" - {self.title}" if self.title else ""
            )
        return f"{self.severity} {self.code}: {self.title}"

    def to_json(self) -> dict[str, str]:
        keys: tuple[str, ...]
        if self.kind == "smoke":
            keys = ("kind", "framework", "device", "gpu", "gpu_uuid", "status", "title")
        else:
            keys = ("kind", "code", "severity", "title")
        return {k: getattr(self, k) for k in keys if getattr(self, k) or k == "kind"}


def member_problems(data: Mapping[str, Any], env: Mapping[str, Any], fail_on: str) -> tuple[Problem, ...]:
    """A report's failed smoke kernels and its findings reaching ``fail_on``; () for a snapshot."""
    if "environment" not in data:
        return ()
    out: list[Problem] = []
    gpus = gpu_by_device(env)
    for item in _items(data, "smoke"):
        status = item.get("status")
        if status in _FAILED:
            framework, device = _text(item, "framework"), _text(item, "device")
            name, uuid, _ = gpus.get(device, GpuRef(_text(item, "device_name"), "", ""))
            raw = item.get("detail")
            detail = (raw if isinstance(raw, str) else "").strip().splitlines()
            out.append(
                Problem(
                    "smoke",
                    framework=framework,
                    device=device,
                    gpu=name,
                    gpu_uuid=uuid,
                    status=str(status),
                    title=_text({"t": detail[0][:200]}, "t") if detail else "",
                )
            )
    if fail_on != "never":
        for item in _items(data, "findings"):
            severity = item.get("severity")
            if severity not in _SEVERITIES:
                raise MemberError(f"finding severity {severity!r} is not error, warning or info")
            if reaches(Severity(severity), fail_on):
                out.append(
                    Problem(
                        "finding", code=_text(item, "code"), severity=severity, title=_text(item, "title")
                    )
                )
    return tuple(out)


def _items(data: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise MemberError(f"'{key}' must be a list of objects")
    return value


def _text(item: Mapping[str, Any], key: str) -> str:
    """A string field of a member's report, with control characters (escape sequences a
    terminal would act on, newlines a CI log would read as commands) made spaces."""
    value = item.get(key)
    if not isinstance(value, str):
        return ""
    return value if value.isprintable() else "".join(c if c.isprintable() else " " for c in value)


def gpu_by_device(env: Mapping[str, Any]) -> dict[str, GpuRef]:
    """``cuda:N``/``gpu:N`` -> (GPU name, UUID), through CUDA_VISIBLE_DEVICES where it is set."""
    nvidia = env.get("nvidia")
    if not isinstance(nvidia, Mapping) or not isinstance(nvidia.get("gpus"), list):
        return {}
    gpus = [g for g in nvidia["gpus"] if isinstance(g, Mapping)]
    by_index = {g.get("index"): g for g in gpus}
    by_uuid = {g.get("uuid"): g for g in gpus if g.get("uuid")}
    visible = nvidia.get("visible_devices")
    if isinstance(visible, str) and visible.strip():
        order: list[Mapping[str, Any] | None] = []
        for part in visible.split(","):
            part = part.strip()
            order.append(by_index.get(int(part)) if part.isdigit() else by_uuid.get(part))
    else:
        order = [by_index.get(i) for i in range(len(gpus))]
    out: dict[str, GpuRef] = {}
    for ordinal, gpu in enumerate(order):
        if gpu is not None:
            index = gpu.get("index")
            fact = GpuRef(
                _text(gpu, "name"), _text(gpu, "uuid"), str(index) if isinstance(index, int) else ""
            )
            out[f"cuda:{ordinal}"] = out[f"gpu:{ordinal}"] = fact
    return out


def iter_stream_documents(stream: IO[str] | IO[bytes], name: str = STDIN) -> Iterator[tuple[str, Any, str]]:
    """(``-#N``, parsed JSON, "") for each JSON document on ``stream``: JSON lines or documents
    one after another, pretty-printed or not; (``-:LINE``, None, why) for text between them
    that is not JSON (a log line), which is skipped to the end of its line."""
    raw = stream.read()
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    decoder = json.JSONDecoder()
    pos, count, end = 0, 0, len(text)
    while True:
        while pos < end and text[pos] in " \t\r\n\ufeff":
            pos += 1
        if pos >= end:
            return
        try:
            if text[pos] not in "{[":
                raise json.JSONDecodeError("a line of text", text, pos)
            value, stop = decoder.raw_decode(text, pos)
        except (json.JSONDecodeError, RecursionError) as exc:
            line = text.count("\n", 0, pos) + 1
            why = exc.msg if isinstance(exc, json.JSONDecodeError) else "JSON nested too deeply"
            newline = text.find("\n", pos)
            yield f"{name}:{line}", None, f"not JSON: {why}"
            if newline < 0:
                return
            pos = newline + 1
            continue
        count += 1
        yield f"{name}#{count}", value, ""
        pos = stop
