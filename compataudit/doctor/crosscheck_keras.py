"""Keras and TensorFlow fact readers for ``explain`` (see :mod:`compataudit.doctor.crosscheck`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from compataudit import doctor as k
from compataudit.distributions import TENSORFLOW
from compataudit.doctor.diagnosis import fill
from compataudit.doctor.envfacts import CONFIRM, CONTRADICT, confirm, version_of
from compataudit.model import Environment
from compataudit.versions import in_range, minor_of

if TYPE_CHECKING:
    from compataudit.doctor.diagnosis import Hit


def _legacy_keras(env: Environment | None) -> bool:
    """TF_USE_LEGACY_KERAS set: tf.keras is tf_keras (Keras 2) even on TensorFlow >= 2.16."""
    return env is not None and env.env_var("TF_USE_LEGACY_KERAS") in {"1", "true", "True"}


def tf_numpy(hit: Hit, text: str, env: Environment | None) -> None:
    numpy, tf = version_of(env, "numpy"), version_of(env, *TENSORFLOW)
    if numpy and tf and in_range(numpy, ">=1.20") and in_range(tf, "<2.6"):
        confirm(hit, CONFIRM, f"numpy {numpy} beside tensorflow {tf}")
        hit.fix = f'`pip install "numpy<1.20"` for tensorflow {tf}, or upgrade tensorflow.'
    elif tf and in_range(tf, ">=2.6"):
        confirm(
            hit,
            -0.2,
            f"tensorflow {tf} is not affected: look for NumPy calls on symbolic tensors in your code",
        )


def keras_era(hit: Hit, text: str, env: Environment | None) -> None:
    tf, keras = version_of(env, *TENSORFLOW), version_of(env, "keras")
    if env is None or tf is None or not in_range(tf, ">=2.16"):
        return
    if keras and in_range(keras, ">=3") and not _legacy_keras(env):
        confirm(
            hit,
            CONFIRM,
            f"tensorflow {tf} with keras {keras}: tf.keras is Keras 3 here "
            "and TF_USE_LEGACY_KERAS is not set",
        )
        if hit.kind == k.MISSING_METHOD:
            hit.kind = k.KERAS_VERSION_MIX


def keras_pair(hit: Hit, text: str, env: Environment | None) -> None:
    tf, keras = version_of(env, *TENSORFLOW), version_of(env, "keras")
    if tf and keras and minor_of(tf) != minor_of(keras) and in_range(keras, "<3"):
        confirm(hit, CONFIRM, f"keras {keras} beside tensorflow {tf}")
        hit.fix = f'`pip install "keras=={minor_of(tf)}.*"`, or use tensorflow.keras.'


def keras3(hit: Hit, text: str, env: Environment | None) -> None:
    """Keras-3-only messages: Keras 3 installed confirms; Keras 2 says it is another machine."""
    keras, tf = version_of(env, "keras"), version_of(env, *TENSORFLOW)
    if env is None or keras is None:
        return
    if in_range(keras, ">=3"):
        confirm(hit, CONFIRM, f"keras {keras} is Keras 3" + (f" (tensorflow {tf})" if tf else ""))
        tf_keras = version_of(env, "tf-keras")
        if tf_keras and not _legacy_keras(env):
            hit.fix += f" tf_keras {tf_keras} is installed here: set TF_USE_LEGACY_KERAS=1."
    elif in_range(keras, "<3"):
        confirm(hit, CONTRADICT, f"keras {keras} is Keras 2 here: the error comes from another environment")


def keras_attr(hit: Hit, text: str, env: Environment | None) -> None:
    """`module 'keras…' has no attribute`: Keras 3 paths (or Keras 3 installed) make it a version mix."""
    module = hit.facts.get("module", "")
    missing = f"has no `{hit.facts['attr']}`" if "attr" in hit.facts else "does not exist"
    if "attr" not in hit.facts:
        hit.summary = hit.summary.replace("has no `?`", missing)
    keras = version_of(env, "keras")
    keras3_here = keras is not None and in_range(keras, ">=3") is True and not _legacy_keras(env)
    if "_tf_keras" in module or "keras.src" in module or (keras3_here and module.startswith("keras")):
        hit.kind = k.KERAS_VERSION_MIX
        hit.summary = (
            f"`{module}` {missing} under Keras 3: the code was written "
            "for Keras 2 (tf.keras before TensorFlow 2.16)."
        )
        hit.fix = (
            "Port the code to the Keras 3 API, or run it with the Keras 2 stack: `pip install "
            "tf_keras` and set TF_USE_LEGACY_KERAS=1 before importing TensorFlow, or pin "
            "tensorflow<2.16."
        )
    tf = version_of(env, *TENSORFLOW)
    if keras3_here:
        confirm(hit, CONFIRM, f"keras {keras} is Keras 3")
    elif keras and tf and in_range(keras, "<3") and minor_of(keras) != minor_of(tf):
        # Standalone Keras 2 and TensorFlow of another minor: two Keras copies that disagree.
        hit.kind = k.KERAS_VERSION_MIX
        hit.summary = (
            f"`{module}` {missing}: standalone keras {keras} is imported beside tensorflow {tf}, "
            "whose own Keras is another release."
        )
        keras_pair(hit, text, env)
    elif keras is not None:
        hit.evidence.append(
            f"environment: keras {keras}"
            + (f", tensorflow {tf}" if tf else "")
            + ": the code expects another release"
        )


def tf_keras_missing(hit: Hit, text: str, env: Environment | None) -> None:
    tf = version_of(env, *TENSORFLOW)
    if tf is None:
        return
    if in_range(tf, "<1.4"):
        confirm(hit, CONFIRM, f"tensorflow {tf} predates tf.keras (1.4)")
    elif in_range(tf, ">=1.4"):
        confirm(
            hit,
            CONTRADICT,
            f"tensorflow {tf} has tf.keras: look for a file or folder named `tensorflow` shadowing "
            "the package, or a broken install",
        )


def keras_masking(hit: Hit, text: str, env: Environment | None) -> None:
    if "layer" not in hit.facts:  # Keras 0.x wording names no layer
        hit.facts["layer"] = "the layer after the masking one"
        hit.summary = fill(hit.signature.summary, hit.facts)
        hit.fix = fill(hit.signature.fix, hit.facts)


ANALYSERS: dict[str, Callable[[Hit, str, Environment | None], None]] = {
    "tf_numpy": tf_numpy,
    "keras_era": keras_era,
    "keras_pair": keras_pair,
    "keras3": keras3,
    "keras_attr": keras_attr,
    "tf_keras_missing": tf_keras_missing,
    "keras_masking": keras_masking,
}
