"""The Keras generation of the environment lint's code will run in (``lint`` without ``--no-probe``).

Read from installed distribution metadata only, by the probe's own scanner
(:func:`compataudit.probes.packages.scan_distributions`, as ``check`` reads them): no
framework is imported. Standalone ``keras`` is the installed keras' major version;
``tf.keras`` is Keras 2 before TensorFlow 2.16 and Keras 3 from it, unless
``TF_USE_LEGACY_KERAS`` selects the tf-keras package (Keras 2).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from compataudit.distributions import TENSORFLOW
from compataudit.doctor.classes import KerasGeneration

if TYPE_CHECKING:
    from compataudit.model import Environment


def _major_minor(version: str | None) -> tuple[int, int] | None:
    match = re.match(r"(\d+)(?:\.(\d+))?", version or "")
    return (int(match.group(1)), int(match.group(2) or 0)) if match else None


def keras_generation(
    keras: str | None, tensorflow: str | None, *, tf_keras: str | None = None, legacy_env: str | None = None
) -> KerasGeneration:
    """The generations given installed versions (None: not installed)."""
    standalone = _major_minor(keras)
    tf = _major_minor(tensorflow)
    tf_gen: int | None = None
    if tf is not None:
        legacy = (legacy_env or "").strip().lower() in {"1", "true", "yes"}
        tf_gen = 2 if tf < (2, 16) or (legacy and tf_keras) else 3
    return KerasGeneration(standalone=standalone[0] if standalone else None, tf_keras=tf_gen)


def probe_keras_generation(paths: Sequence[str] | None = None) -> KerasGeneration:
    """This interpreter's installed keras / TensorFlow (those on ``paths``, default
    ``sys.path``), as :class:`KerasGeneration`."""
    from compataudit.probes.packages import scan_distributions

    wanted = {"keras", "tf-keras", *TENSORFLOW}
    scanned = scan_distributions(sys.path if paths is None else paths, wanted)
    versions = {p.name: p.version for p in scanned if p.version}
    return _generation(versions.get, os.environ.get("TF_USE_LEGACY_KERAS"))


def environment_keras_generation(env: Environment) -> KerasGeneration:
    """The generations of an audited environment (``check --code``): a probe, a snapshot or
    what-if pins; an environment without keras or TensorFlow leaves them to the paths."""

    def version(name: str) -> str | None:
        pkg = env.package(name)
        return pkg.version if pkg is not None and pkg.version else None

    legacy = dict(env.env_vars).get("TF_USE_LEGACY_KERAS")
    if legacy is None and env.origin == "probe":  # this machine: its own environment
        legacy = os.environ.get("TF_USE_LEGACY_KERAS")
    return _generation(version, legacy)


def _generation(version: Callable[[str], str | None], legacy_env: str | None) -> KerasGeneration:
    """The generations from ``version(name)`` of each installed distribution (None: absent);
    TensorFlow is the first of its distribution names that is installed."""
    return keras_generation(
        version("keras"),
        next((v for v in map(version, TENSORFLOW) if v), None),
        tf_keras=version("tf-keras"),
        legacy_env=legacy_env,
    )
