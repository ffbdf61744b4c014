"""``diff A B``: what differs between two environments *that matters*, most relevant first.

Only facts that can change whether a stack works are compared: the driver and
its CUDA, the GPUs, Python, the OS, packages (a changed build variant such as
``+cu124`` -> ``+cpu`` counts even when the public version is the same), what
each framework was built for, the system toolkit, the variables that steer the
frameworks, and the smoke results. Hostnames, paths and timestamps are not.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from compataudit.distributions import AUDITED_STACK, FRAMEWORKS, RUNTIME
from compataudit.model import Environment, Finding, Report
from compataudit.versions import local_variant, parse_version

# Relevance tiers: a lower number is shown first.
TIER_HARDWARE = 0  # driver, GPUs: nothing else works if these are wrong
TIER_PYTHON = 1
TIER_FRAMEWORK = 2  # frameworks, their builds and smoke results
TIER_RUNTIME = 3  # CUDA toolkit, cuDNN, numpy, nvidia-* wheels, protobuf...
TIER_OS = 4
TIER_ENV = 5  # environment variables
TIER_LEAF = 6  # every other package

RUNTIME_PACKAGES = frozenset(
    {
        *RUNTIME,
        "h5py",
        "tensorboard",
        "flax",
        "optax",
    }
)

# Within a tier the audited stack comes first, in the order a stack is read.
_STACK_ORDER = {name: i for i, name in enumerate(AUDITED_STACK)}
# nvidia-* distributions that are not CUDA libraries (NVML bindings, ...).
_NOT_CUDA = frozenset({"nvidia-ml-py", "nvidia-ml-py3", "nvidia-pyindex"})


def package_tier(name: str) -> int:
    """How relevant a change of distribution ``name`` is (see the ``TIER_*`` constants)."""
    if name in FRAMEWORKS or name.startswith(("jax-cuda", "jax-rocm", "tensorflow-")):
        return TIER_FRAMEWORK
    if name in RUNTIME_PACKAGES or (name.startswith("nvidia-") and name not in _NOT_CUDA):
        return TIER_RUNTIME
    return TIER_LEAF


@dataclass(frozen=True)
class Change:
    """One difference: ``component`` went from ``before`` to ``after``."""

    component: str
    before: str | None
    after: str | None
    kind: str  # added | removed | upgraded | downgraded | variant | changed
    tier: int = TIER_LEAF

    def to_json(self) -> dict[str, str | None]:
        return {"component": self.component, "before": self.before, "after": self.after, "kind": self.kind}


def classify(before: str | None, after: str | None) -> str:
    """The kind of a change between two version-like strings."""
    if before is None:
        return "added"
    if after is None:
        return "removed"
    va, vb = parse_version(before), parse_version(after)
    if va is not None and vb is not None:
        if va.public == vb.public:
            return "variant" if local_variant(va) != local_variant(vb) else "changed"
        return "upgraded" if vb > va else "downgraded"
    from compataudit.versions import driver_tuple

    ta, tb = driver_tuple(before), driver_tuple(after)
    if ta is not None and tb is not None and ta != tb:
        return "upgraded" if tb > ta else "downgraded"
    return "changed"


def facts(env: Environment) -> dict[str, tuple[int, str]]:
    """The comparable facts of ``env``: component -> (tier, value as text)."""
    out: dict[str, tuple[int, str]] = {}
    nv = env.nvidia
    if nv.driver_version:
        out["nvidia-driver"] = (TIER_HARDWARE, nv.driver_version)
    if nv.cuda_driver_version:
        out["nvidia-driver cuda"] = (TIER_HARDWARE, nv.cuda_driver_version)
    gpus = Counter(f"{g.name} (cc {g.compute_capability or '?'})" for g in nv.gpus)
    if gpus:
        out["gpu"] = (TIER_HARDWARE, ", ".join(f"{n}x {k}" for k, n in sorted(gpus.items())))
    migs = sorted({g.mig_mode for g in nv.gpus if g.mig_mode})
    if migs:
        out["gpu mig"] = (TIER_HARDWARE, "/".join(migs))
    out["python"] = (TIER_PYTHON, f"{env.python.implementation} {env.python.version}")
    for pkg in env.packages:
        value = pkg.version + (f" ({pkg.problem})" if pkg.problem else "")
        out[pkg.name] = (package_tier(pkg.name), value)
    for build in env.builds:
        out[f"{build.framework} build"] = (TIER_FRAMEWORK, _build_text(build.cuda, build.cudnn, build.hip))
    tk = env.toolkit
    if tk.nvcc_version:
        out["cuda"] = (TIER_RUNTIME, tk.nvcc_version)
    if tk.cudnn_version:
        out["cudnn"] = (TIER_RUNTIME, tk.cudnn_version)
    plat = env.platform
    out["os"] = (TIER_OS, f"{plat.system} {plat.machine}")
    if plat.os_name:
        out["os release"] = (TIER_OS, plat.os_name)
    if plat.libc:
        out["libc"] = (TIER_OS, plat.libc)
    for key, value in env.env_vars:
        out[f"env {key}"] = (TIER_ENV, value)
    return out


def _build_text(cuda: str | None, cudnn: str | None, hip: str | None) -> str:
    if hip:
        return f"ROCm {hip}"
    if not cuda:
        return "CPU"
    return f"CUDA {cuda}" + (f", cuDNN {cudnn}" if cudnn else "")


def smoke_facts(report: Report | None) -> dict[str, tuple[int, str]]:
    """Smoke results as comparable facts: ``smoke torch cuda:0 float32`` -> ``pass``."""
    if report is None:
        return {}
    return {
        f"smoke {r.framework} {r.device} {r.dtype}": (TIER_FRAMEWORK, r.status.value) for r in report.smoke
    }


def compare_facts(a: Mapping[str, tuple[int, str]], b: Mapping[str, tuple[int, str]]) -> list[Change]:
    """Every component whose value differs, most relevant first, then by name."""
    changes = []
    for component in a.keys() | b.keys():
        before, after = a.get(component), b.get(component)
        vb, va = (before[1] if before else None), (after[1] if after else None)
        if vb == va:
            continue
        tier = (before or after or (TIER_LEAF, ""))[0]
        changes.append(Change(component, vb, va, classify(vb, va), tier))
    changes.sort(key=lambda c: (c.tier, _STACK_ORDER.get(c.component, len(_STACK_ORDER)), c.component))
    return changes


def diff_environments(
    a: Environment, b: Environment, report_a: Report | None = None, report_b: Report | None = None
) -> list[Change]:
    """What changed from ``a`` to ``b`` that can matter, most relevant first."""
    return compare_facts({**facts(a), **smoke_facts(report_a)}, {**facts(b), **smoke_facts(report_b)})


def finding_key(f: Finding) -> tuple[str, tuple[str, ...]]:
    """Two findings are 'the same problem' when code and components agree (numbers may differ)."""
    return f.code, tuple(sorted(f.components))


def findings_only_in(side: Iterable[Finding], other: Iterable[Finding]) -> list[Finding]:
    """Findings of ``side`` with no counterpart in ``other``."""
    seen = {finding_key(f) for f in other}
    return [f for f in side if finding_key(f) not in seen]


@dataclass(frozen=True)
class DiffResult:
    changes: tuple[Change, ...]
    findings_only_in_a: tuple[Finding, ...]
    findings_only_in_b: tuple[Finding, ...]

    @property
    def identical(self) -> bool:
        """Nothing that matters differs (exit code 0)."""
        return not (self.changes or self.findings_only_in_a or self.findings_only_in_b)

    def to_json(self) -> dict[str, object]:
        from compataudit.model import to_jsonable

        return {
            "identical": self.identical,
            "changes": [c.to_json() for c in self.changes],
            "findings_only_in_a": to_jsonable(self.findings_only_in_a),
            "findings_only_in_b": to_jsonable(self.findings_only_in_b),
        }


def diff(
    a: Environment,
    b: Environment,
    findings_a: Sequence[Finding],
    findings_b: Sequence[Finding],
    report_a: Report | None = None,
    report_b: Report | None = None,
) -> DiffResult:
    """The full comparison: changes plus the findings each side has alone."""
    return DiffResult(
        changes=tuple(diff_environments(a, b, report_a, report_b)),
        findings_only_in_a=tuple(findings_only_in(findings_a, findings_b)),
        findings_only_in_b=tuple(findings_only_in(findings_b, findings_a)),
    )
