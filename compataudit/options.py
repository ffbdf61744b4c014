"""What a run is asked to do: where its environment comes from, and how to audit it.

Plain values with no behaviour, below both the pipeline (:mod:`compataudit.audit`)
and the what-if layer (:mod:`compataudit.sources.whatif`) that read them.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class EnvOptions:
    """Where the audited environment comes from, plus what-if changes to it."""

    pins: tuple[str, ...] = ()
    requirements: tuple[str, ...] = ()
    python: str | None = None
    driver: str | None = None
    gpu_ccs: tuple[str, ...] = ()
    snapshot: str | None = None
    probe: bool = True
    env_path: str | None = None  # --env: audit this venv / conda prefix / interpreter
    onto_current: bool = False  # -r files installed into the current/--env environment, not a fresh one
    extras: tuple[str, ...] = ()  # pyproject.toml optional dependencies (--extra)
    groups: tuple[str, ...] = ()  # pyproject.toml dependency groups (--group)
    ask_pip: bool = False  # --resolve: pip's own dry-run answer instead of the offline resolution

    @property
    def what_if(self) -> bool:
        return bool(self.pins or self.requirements or self.python or self.driver or self.gpu_ccs)


@dataclass(frozen=True)
class AuditOptions:
    fail_on: str = "error"
    smoke: bool = False
    smoke_timeout: float = 120.0
    frameworks: tuple[str, ...] = ()  # empty: every installed framework
    devices: tuple[str, ...] = ()  # empty: every device the framework sees
    matrices_dir: str | None = None
    ignore: tuple[str, ...] = ()  # codes or code prefixes
    severity: dict[str, str] = field(default_factory=dict)  # code -> severity override
    require: tuple[str, ...] = ()  # policy pins: "torch>=2.4", "python>=3.10"
    code_paths: tuple[str, ...] = ()  # `check --code`: lint these too
    baseline: str | None = None  # `check --baseline`: a golden snapshot/report (FLT001 on drift)
