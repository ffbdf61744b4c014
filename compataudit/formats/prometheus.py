"""``--format prometheus``: the node_exporter textfile-collector format.

Written with ``-o /var/lib/node_exporter/textfile/compataudit.prom`` (atomically: a
scrape never reads half a file), node_exporter serves these series beside its own,
and a dashboard or an alert (``compataudit_smoke_passed == 0``) reads them like
dcgm-exporter's. The text comes from prometheus-client's own exposition code
(imported only here), so names, label escaping and ``# HELP``/``# TYPE`` lines are
the ones Prometheus parses. Every metric is a gauge prefixed ``compataudit_``.

GPU UUIDs are labels, named as dcgm-exporter names them (``gpu`` for nvidia-smi's index,
``UUID``) so a query can join the two on them; ``--redact`` replaces the UUIDs as it
does in every format.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from compataudit.formats import RenderContext
from compataudit.model import Report, Severity, to_jsonable

if TYPE_CHECKING:
    from compataudit.plan.fleet import FleetResult

SMOKE_STATES = ("pass", "fail", "error", "timeout", "crash", "skip")
# `gpu` and `UUID` as dcgm-exporter names them, so PromQL can join on them (empty for the CPU).
SMOKE_LABELS = ("framework", "device", "gpu", "UUID")


class _Metrics:
    """The families of one exposition, built up as plain (name, help, labels, samples)."""

    def __init__(self) -> None:
        self.families: list[tuple[str, str, tuple[str, ...], list[tuple[tuple[str, ...], float]]]] = []

    def add(
        self,
        name: str,
        help_text: str,
        labels: Iterable[str],
        samples: Iterable[tuple[tuple[str, ...], float]],
    ) -> None:
        self.families.append((f"compataudit_{name}", help_text, tuple(labels), list(samples)))

    def expose(self) -> str:
        from prometheus_client import CollectorRegistry, generate_latest
        from prometheus_client.core import GaugeMetricFamily

        families = self.families

        class _Collector:
            def collect(self) -> Iterator[Any]:
                for name, help_text, labels, samples in families:
                    family = GaugeMetricFamily(name, help_text, labels=list(labels))
                    for values, value in samples:
                        family.add_metric(list(values), value)
                    yield family

        registry = CollectorRegistry(auto_describe=False)
        registry.register(_Collector())
        return generate_latest(registry).decode("utf-8")


def render(report: Report, ctx: RenderContext) -> str:
    """One node's check (or smoke) report as textfile-collector metrics."""
    metrics = _Metrics()
    _report_metrics(metrics, report)
    return metrics.expose()


def _report_metrics(metrics: _Metrics, report: Report) -> None:
    by_code = Counter((f.code, f.severity.value) for f in report.findings)
    metrics.add(
        "findings",
        "Findings of the last run, by code and severity.",
        ("code", "severity"),
        [((code, sev), n) for (code, sev), n in sorted(by_code.items())],
    )
    by_severity = Counter(f.severity.value for f in report.findings)
    metrics.add(
        "findings_by_severity",
        "Findings of the last run by severity (0 included, for alerts).",
        ("severity",),
        [((s.value,), by_severity[s.value]) for s in Severity],
    )
    gpus = smoke_gpus(report)
    metrics.add(
        "smoke_passed",
        "1 when the smoke kernel (conv2d forward + backward) passed on this framework and device.",
        SMOKE_LABELS,
        [(_smoke_labels(r.framework, r.device, gpus), float(r.status.value == "pass")) for r in report.smoke],
    )
    metrics.add(
        "smoke_status",
        "The smoke kernel's status per framework and device: 1 for the state it ended in.",
        (*SMOKE_LABELS, "status"),
        [
            ((*_smoke_labels(r.framework, r.device, gpus), state), float(r.status.value == state))
            for r in report.smoke
            for state in SMOKE_STATES
        ],
    )
    metrics.add(
        "stack_info",
        "The audited stack: one series per component, its value as a label.",
        ("component", "value"),
        [((k, v), 1.0) for k, v in sorted(stack_facts(report).items())],
    )
    metrics.add(
        "exit_code",
        "The exit code of the last run (0 ok, 1 findings or smoke failure).",
        (),
        [((), float(report.summary.exit_code))],
    )
    metrics.add(
        "last_run_timestamp_seconds",
        "When the last run finished (Unix time).",
        (),
        [((), round(time.time(), 3))],
    )


def smoke_gpus(report: Report) -> dict[str, tuple[str, str]]:
    """Smoke device (``cuda:0``) -> (nvidia-smi index, UUID) of the GPU behind it."""
    from compataudit.plan.members import gpu_by_device

    return {
        device: (g.smi_index, g.uuid) for device, g in gpu_by_device(to_jsonable(report.environment)).items()
    }


def _smoke_labels(framework: str, device: str, gpus: dict[str, tuple[str, str]]) -> tuple[str, str, str, str]:
    index, uuid = gpus.get(device, ("", ""))
    return framework, device, index, uuid


def stack_facts(report: Report) -> dict[str, str]:
    from compataudit.plan.fleet import stack_fingerprint

    return dict(stack_fingerprint(to_jsonable(report.environment)))


def render_fleet_metrics(result: FleetResult, fail_on: str = "error") -> str:
    """A fleet as metrics: totals, one series per node (ok, outlier, missing), per group."""
    from compataudit.plan.fleet import node_names

    metrics = _Metrics()
    names = node_names(result.groups)
    failing = {o.node: o for o in result.failing}
    outliers = {o.node for o in result.outliers}
    metrics.add("fleet_nodes", "Nodes that sent a snapshot or report.", (), [((), result.nodes)])
    metrics.add("fleet_groups", "Distinct stacks among them.", (), [((), len(result.groups))])
    metrics.add(
        "fleet_unreadable_files",
        "Files or documents that were not a snapshot or report.",
        (),
        [((), len(result.corrupt))],
    )
    metrics.add(
        "fleet_missing_nodes", "Expected nodes (--expect) that sent nothing.", (), [((), len(result.missing))]
    )
    metrics.add(
        "fleet_failing_nodes", "Nodes whose own report failed (smoke or findings).", (), [((), len(failing))]
    )
    metrics.add(
        "fleet_group_nodes",
        "Nodes per stack group (majority=1 for the largest).",
        ("group", "majority"),
        [((g.fingerprint, str(int(i == 0))), len(g.nodes)) for i, g in enumerate(result.groups)],
    )
    rows: list[tuple[tuple[str, ...], float]] = []
    for i, g in enumerate(result.groups):
        for key in g.nodes:
            node = names[key]
            ok = node not in outliers and not _group_fails(g.findings, fail_on)
            rows.append(((node, g.fingerprint, str(int(i == 0))), float(ok)))
    metrics.add(
        "fleet_node_ok",
        "1 when the node runs the majority stack, its own report passed "
        "and its group has no finding at --fail-on.",
        ("node", "group", "majority"),
        rows,
    )
    metrics.add(
        "fleet_node_smoke_failed",
        "Smoke kernels that failed on the node, per framework.",
        ("node", "framework"),
        [
            ((node, fw), n)
            for node, o in failing.items()
            for fw, n in sorted(Counter(p.framework for p in o.problems if p.kind == "smoke").items())
        ],
    )
    metrics.add(
        "fleet_node_missing",
        "1 for each expected node that sent nothing.",
        ("node",),
        [((n,), 1.0) for n in result.missing],
    )
    metrics.add(
        "last_run_timestamp_seconds",
        "When this fleet run finished (Unix time).",
        (),
        [((), round(time.time(), 3))],
    )
    return metrics.expose()


def _group_fails(findings: Iterable[Any], fail_on: str) -> bool:
    from compataudit.model import reaches

    return any(reaches(f.severity, fail_on) for f in findings)
