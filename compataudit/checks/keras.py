"""Keras beside TensorFlow: the Keras 2 / Keras 3 split, tf-keras, TF_USE_LEGACY_KERAS, backends.

Facts come from ``matrices/keras.toml`` and ``matrices/tensorflow.toml`` (what each TF wheel
requires from keras). Checks that need the TensorFlow release stay silent for releases the
matrices do not know (the TensorFlow area reports those as MAT001).
"""

from __future__ import annotations

from collections.abc import Iterator

from compataudit.checks import CheckContext
from compataudit.compat.keras import (
    KerasMatrix,
    installed_keras,
    keras_major,
    keras_matrix,
    keras_requirement,
    tf_keras_requirement,
    tf_wants_keras3,
)
from compataudit.compat.tensorflow import TfRelease, installed_tensorflow, tensorflow_matrix
from compataudit.model import Finding, Package, Severity
from compataudit.rules import finding
from compataudit.versions import in_range, minor_of, parse_version


def _tf(ctx: CheckContext) -> tuple[Package, TfRelease] | None:
    pkg = installed_tensorflow(ctx.env, ctx.matrices)
    if pkg is None:
        return None
    rel = tensorflow_matrix(ctx.matrices).release_for(pkg.version)
    return (pkg, rel) if rel is not None else None


def check_keras_major(ctx: CheckContext) -> Iterator[Finding]:
    """KER001 / KER002: the keras major version TensorFlow does not use."""
    found, keras = _tf(ctx), installed_keras(ctx.env)
    major = keras_major(keras)
    if found is None or keras is None or major is None:
        return
    tf, rel = found
    wants3 = tf_wants_keras3(rel)
    km = keras_matrix(ctx.matrices)
    if wants3 is False and major >= 3:
        pair = km.keras2_for(rel.minor)
        yield finding(
            "KER001",
            f"Keras {keras.version} is installed beside TensorFlow {rel.minor}",
            f"{tf.name} {tf.version} requires keras {rel.keras} (Keras 2); "
            f"keras {keras.version} is Keras 3, so tf.keras breaks or silently becomes Keras 3.",
            components=[tf.name, "keras"],
            fix=f'pip install "{tf.name}=={tf.version}" "keras=={pair.keras}"' if pair else None,
            sources=rel.sources + (pair.sources if pair else ()),
        )
    elif wants3 is True and major == 2:
        wanted = keras_requirement(km, rel, ctx.env.python.version)
        legacy = tf_keras_requirement(km, rel.minor, ctx.env.python.version)
        hint = ""
        if legacy:
            hint = f" For Keras 2 code install {legacy} and set TF_USE_LEGACY_KERAS=1."
        yield finding(
            "KER002",
            f"Keras {keras.version} is installed beside TensorFlow {rel.minor}",
            f"{tf.name} {tf.version} requires keras {rel.keras} (Keras 3); "
            f"keras {keras.version} is Keras 2.{hint}",
            components=[tf.name, "keras"],
            fix=f'pip install "{tf.name}=={tf.version}" "{wanted}"' if wanted else None,
            sources=rel.sources,
        )


def check_keras3_minimum(ctx: CheckContext) -> Iterator[Finding]:
    """KER007: a Keras 3 older than the one a (pinned) TensorFlow release requires.

    Installed TensorFlow declares this requirement in its metadata, where PKG002
    reports it; only metadata-less (pinned or snapshot) TensorFlow needs this check.
    """
    found, keras = _tf(ctx), installed_keras(ctx.env)
    if found is None or keras is None or keras_major(keras) != 3:
        return
    tf, rel = found
    if tf.requires or not tf_wants_keras3(rel) or not rel.keras:
        return
    if in_range(keras.version, rel.keras) is not False:
        return
    wanted = keras_requirement(keras_matrix(ctx.matrices), rel, ctx.env.python.version)
    yield finding(
        "KER007",
        f"keras {keras.version} is older than TensorFlow {rel.minor} requires ({rel.keras})",
        f"{tf.name} {tf.version} declares keras{rel.keras}; keras {keras.version} is installed.",
        components=[tf.name, "keras"],
        fix=f'pip install "{wanted}"' if wanted else None,
        sources=rel.sources,
    )


def check_keras2_minor(ctx: CheckContext) -> Iterator[Finding]:
    """KER004: standalone keras 2.x of another minor than TensorFlow 2.6-2.15."""
    found, keras = _tf(ctx), installed_keras(ctx.env)
    if found is None or keras is None or keras_major(keras) != 2:
        return
    tf, rel = found
    pair = keras_matrix(ctx.matrices).keras2_for(rel.minor)
    if pair is None or tf_wants_keras3(rel) is not False or minor_of(keras.version) == rel.minor:
        return
    yield finding(
        "KER004",
        f"keras {keras.version} does not match TensorFlow {rel.minor}",
        f"{tf.name} {tf.version} needs keras {rel.minor}.x (declared: keras {rel.keras}); "
        f"keras {keras.version} belongs to TensorFlow {minor_of(keras.version)}.",
        components=[tf.name, "keras"],
        fix=f'pip install "{tf.name}=={tf.version}" "keras=={pair.keras}"',
        sources=rel.sources + pair.sources,
    )


def check_tf_keras_minor(ctx: CheckContext) -> Iterator[Finding]:
    """KER003: tf-keras 2.N beside TensorFlow 2.M, M != N."""
    found, tfk = _tf(ctx), ctx.env.package("tf-keras")
    if found is None or tfk is None or parse_version(tfk.version) is None:
        return
    tf, rel = found
    if minor_of(tfk.version) == rel.minor:
        return
    km = keras_matrix(ctx.matrices)
    wanted = tf_keras_requirement(km, rel.minor, ctx.env.python.version)
    declared = next((t for t in km.tf_keras if t.version == tfk.version), None)
    requires = ""
    if declared is not None and declared.tensorflow:
        requires = f" (it requires tensorflow {declared.tensorflow})"
    yield finding(
        "KER003",
        f"tf-keras {tfk.version} does not match TensorFlow {rel.minor}",
        f"tf-keras {tfk.version} is built for TensorFlow {minor_of(tfk.version)}{requires}; "
        f"{tf.name} {tf.version} needs tf-keras {rel.minor}.x"
        + ("." if wanted else ", and no such tf-keras exists for this Python."),
        components=[tf.name, "tf-keras"],
        fix=_tf_keras_install(tf.name, wanted) if wanted else "pip uninstall -y tf-keras",
        sources=rel.sources + (declared.sources if declared else ()),
    )


def _tf_keras_install(tensorflow: str, wanted: str) -> str:
    """tf-keras requires the ``tensorflow`` distribution; beside tensorflow-cpu (or another
    variant) pip would install ``tensorflow`` too (PKG003), so its one dependency is skipped."""
    no_deps = "--no-deps " if tensorflow != "tensorflow" else ""
    return f'pip install {no_deps}"{wanted}"'


def check_legacy_keras_setting(ctx: CheckContext) -> Iterator[Finding]:
    """KER005: TF_USE_LEGACY_KERAS that TensorFlow ignores, or that points at a missing tf-keras."""
    km = keras_matrix(ctx.matrices)
    setting = km.legacy
    value = ctx.env.env_var(setting.variable)
    tf = installed_tensorflow(ctx.env, ctx.matrices)
    if value is None or not value.strip() or tf is None:
        return
    if in_range(tf.version, setting.tensorflow) is not True:
        return  # a TensorFlow that does not read the variable at all
    tf_minor = minor_of(tf.version) or ""
    has_tfk = ctx.env.package("tf-keras") is not None
    wanted = tf_keras_requirement(km, tf_minor, ctx.env.python.version)
    install = f"{_tf_keras_install(tf.name, wanted)}; " if wanted and not has_tfk else ""
    accepted = ", ".join(setting.values)
    if value not in setting.values:
        yield finding(
            "KER005",
            f'{setting.variable}="{value}" is not a value TensorFlow recognises',
            f"TensorFlow routes tf.keras to tf_keras only when {setting.variable} is exactly one "
            f'of {accepted}; "{value}" is ignored, so {tf.name} {tf.version} keeps its default '
            "Keras.",
            components=[tf.name, "tf-keras"],
            fix=f"{install}export {setting.variable}=1",
            sources=setting.sources,
        )
    elif not has_tfk:
        breaks = in_range(tf.version, f">={setting.import_error_from}") is True
        yield finding(
            "KER005",
            f"{setting.variable} is set but tf-keras is not installed",
            f"{setting.variable}={value} tells {tf.name} {tf.version} to use tf_keras, which is "
            "not installed" + ("; tf.keras raises ImportError: Keras cannot be imported." if breaks else "."),
            components=[tf.name, "tf-keras"],
            fix=_tf_keras_install(tf.name, wanted) if wanted else f"unset {setting.variable}",
            sources=setting.sources,
            severity=Severity.ERROR if breaks else Severity.WARNING,
        )


def check_keras_backend(ctx: CheckContext) -> Iterator[Finding]:
    """KER006: Keras 3's backend (KERAS_BACKEND, default tensorflow) missing or too old."""
    keras = installed_keras(ctx.env)
    if keras is None or keras_major(keras) != 3:
        return
    km = keras_matrix(ctx.matrices)
    explicit = (ctx.env.env_var("KERAS_BACKEND") or "").strip()
    name = explicit or "tensorflow"
    backend = km.backend(name)
    if backend is None:
        yield finding(
            "KER006",
            f'KERAS_BACKEND="{name}" is not a Keras backend',
            f"Keras 3 backends are {', '.join(b.name for b in km.backends)}; `import keras` raises "
            f"ValueError: Unable to import backend : {name}.",
            components=["keras"],
            fix=f"export KERAS_BACKEND={_usable_backend(ctx, km) or 'tensorflow'}",
            sources=tuple(s for b in km.backends for s in b.sources),
        )
        return
    pkg = _backend_package(ctx, backend.distribution)
    if pkg is None:
        other = _usable_backend(ctx, km)
        # Unset KERAS_BACKEND may be overridden by ~/.keras/keras.json, which we cannot see.
        severity = Severity.ERROR if explicit or other is None else Severity.WARNING
        where = "KERAS_BACKEND" if explicit else "the default backend (KERAS_BACKEND is unset)"
        yield finding(
            "KER006",
            f"Keras backend {name} is not installed",
            f"keras {keras.version} uses {where}: {name}, but no {backend.distribution} "
            "distribution is installed.",
            components=["keras", backend.distribution],
            fix=(
                f"export KERAS_BACKEND={other}" if other else _install(backend.distribution, backend.minimum)
            ),
            sources=backend.sources,
            severity=severity,
        )
        return
    if backend.minimum is None or in_range(pkg.version, f">={backend.minimum}") is not False:
        return
    if name == "tensorflow" and _tf(ctx) is not None:
        found = _tf(ctx)
        if found is not None and tf_wants_keras3(found[1]) is False:
            return  # KER001 already says Keras 3 cannot sit beside this TensorFlow
    yield finding(
        "KER006",
        f"Keras backend {name} {pkg.version} is older than Keras 3 supports",
        f"Keras 3 supports {name} {backend.minimum} or newer; installed {pkg.name} {pkg.version}.",
        components=["keras", pkg.name],
        fix=_install(pkg.name, backend.minimum),
        sources=backend.sources,
    )


def _backend_package(ctx: CheckContext, distribution: str) -> Package | None:
    if distribution == "tensorflow":
        return installed_tensorflow(ctx.env, ctx.matrices)
    return ctx.env.package(distribution)


def _usable_backend(ctx: CheckContext, km: KerasMatrix) -> str | None:
    """The first backend that is installed at or above its minimum, if any."""
    for b in km.backends:
        pkg = _backend_package(ctx, b.distribution)
        if pkg is None or b.name == "numpy":
            continue  # numpy is everywhere; suggesting it as a training backend would mislead
        if b.minimum is None or in_range(pkg.version, f">={b.minimum}") is True:
            return b.name
    return None


def _install(distribution: str, minimum: str | None) -> str:
    return f'pip install "{distribution}>={minimum}"' if minimum else f"pip install {distribution}"


def check_keras_python(ctx: CheckContext) -> Iterator[Finding]:
    """PY001: a Keras 3 release whose Requires-Python excludes this interpreter."""
    keras = installed_keras(ctx.env)
    km = keras_matrix(ctx.matrices)
    row = km.keras3_row(keras.version) if keras else None
    python = ctx.env.python.version
    if keras is None or row is None or in_range(python, row.requires_python) is not False:
        return
    newest_ok = None
    for r in km.keras3:
        if in_range(python, r.requires_python) is False:
            newest_ok = r.version
            break
    yield finding(
        "PY001",
        f"Keras {minor_of(keras.version)} does not support Python {minor_of(python)}",
        f"keras {keras.version} requires Python {row.requires_python}; this environment has Python {python}.",
        components=["keras", "python"],
        fix=f'pip install "keras<{newest_ok}"' if newest_ok else None,
        sources=row.sources,
    )


CHECKS = (
    check_keras3_minimum,
    check_keras_major,
    check_keras2_minor,
    check_tf_keras_minor,
    check_legacy_keras_setting,
    check_keras_backend,
    check_keras_python,
)
