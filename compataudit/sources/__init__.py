"""Where an Environment comes from, each a source of its own (like pip-audit's dependency
sources): this machine's probe (``compataudit.probes``, with ``--env`` targets), a saved
snapshot (:mod:`.snapshot`), the what-if flags (:mod:`.whatif`) and the files that describe
an environment (:mod:`.stack_files`: requirements, lock files, Dockerfiles, ...).
:func:`build_environment` picks one and lays the overlays (what-if flags, ``-r`` files) on it.
"""

from __future__ import annotations

import os

from compataudit.errors import UsageError
from compataudit.model import Environment
from compataudit.options import EnvOptions


def build_environment(opts: EnvOptions) -> Environment:
    """This machine, a snapshot, or an empty environment; then the what-if flags on top."""
    from compataudit.sources import snapshot, whatif

    if opts.env_path and not opts.probe:
        raise UsageError("--env audits an installed environment: drop --snapshot / --no-probe")
    if opts.snapshot:
        env = snapshot.load_snapshot(opts.snapshot)
    elif opts.probe:
        from compataudit.probes import probe_environment

        if not (opts.env_path or os.environ.get("VIRTUAL_ENV") or os.environ.get("CONDA_PREFIX")):
            env = probe_environment()  # no other environment is named: skip the target module
        else:
            from compataudit.probes.target import auto_target, find_target, probe_target

            chosen = find_target(opts.env_path) if opts.env_path else None  # bad --env: fail fast
            env = probe_environment()
            target = chosen or auto_target(env)
            if target is not None:
                env = probe_target(target, env)
    else:
        env = whatif.empty_environment()
    return whatif.apply_what_if(env, opts)
