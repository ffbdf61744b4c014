"""Keras migration signatures for ``explain``: code, files and layers from another Keras era.

Keras 3 (TensorFlow >= 2.16 makes ``tf.keras`` Keras 3) reads only ``.keras`` and
legacy ``.h5`` files and dropped TF1-style layer functions; Keras 2 releases
moved internals (``keras.engine``, ``keras.backend.tf``); TensorFlow < 1.4 has no
``tf.keras`` at all; standalone keras 2.5+ needs a TensorFlow of its own minor
version. Keras masking errors live here too (a layer that cannot take a mask).
"""

from __future__ import annotations

from compataudit import doctor as k
from compataudit.doctor.signatures import GH, Signature

_LEGACY_STACK = (
    "the Keras 2 stack it was written for: `pip install tf_keras` and set TF_USE_LEGACY_KERAS=1 "
    "before importing TensorFlow, or pin tensorflow<2.16"
)

KERAS_MIGRATION_SIGNATURES: tuple[Signature, ...] = (
    Signature(
        "KM1",
        k.KERAS_VERSION_MIX,
        "keras",
        (
            r"Keras (?:3|Core) only supports V3\s+`?\.keras`?",
            r"legacy SavedModel format is not\s+supported by\s+`?load_model\(\)`? in Keras 3",
        ),
        "A model saved in a legacy format (a TensorFlow SavedModel directory, or not a `.keras` "
        "/ `.h5` file) is loaded with Keras 3's `load_model`, which reads only `.keras` and "
        "legacy `.h5` files.",
        "For inference, wrap a SavedModel as a layer: `keras.layers.TFSMLayer(path, "
        "call_endpoint='serving_default')`; to keep using it as a model, load it with "
        + _LEGACY_STACK
        + ", and re-save it as `model.keras`.",
        ("keras", "tensorflow"),
        (
            GH + "keras-team/keras/issues/18709",
            GH + "unicode-org/lstm_word_segmentation/issues/28",
            GH + "cbrnr/sleepecg/issues/214",
        ),
        0.9,
        ("ValueError",),
        analyzer="keras3",
    ),
    Signature(
        "KM2",
        k.KERAS_VERSION_MIX,
        "tensorflow",
        (r"`(?P<name>\w+)` is not available with Keras 3",),
        "`{name}` is a TF1-style layer function (`tf.compat.v1.layers`, `tf.layers`) that does not "
        "exist once tf.keras is Keras 3 (TensorFlow >= 2.16).",
        "Port the model to `keras.layers` classes, or run it with " + _LEGACY_STACK + ".",
        ("keras", "tensorflow"),
        (GH + "AI4EPS/PhaseNet/issues/90",),
        0.9,
        analyzer="keras3",
    ),
    Signature(
        "KM3",
        k.API_VERSION_MISMATCH,
        "keras",
        (
            r"module '(?P<module>(?:tensorflow\.)?(?:python\.)?keras[\w.]*)' has no attribute "
            r"'(?P<attr>\w+)'",
            r"No module named '(?P<module>(?:tensorflow\.(?:python\.)?)?keras\.[\w.]+)'",
            r"cannot import name '(?P<attr>\w+)' from "
            r"'(?P<module>(?:tensorflow\.(?:python\.)?)?keras[\w.]*)'",
        ),
        "`{module}` has no `{attr}` here: the code was written for another Keras release (Keras "
        "2.4+ hid `keras.engine` and `keras.backend.tf`, TensorFlow's Keras never had them, "
        "Keras 3 removed more).",
        "Use the public API (`keras.layers.Layer`, not `keras.engine.Layer`; `import tensorflow "
        "as tf`, not `K.tf`), or install the Keras/TensorFlow versions the code was written for.",
        ("keras", "tensorflow"),
        (
            GH + "Kamlesh364/Mask-RCNN-TF2.7.0-keras2.7.0/issues/15",
            GH + "keras-team/keras/issues/13244",
            GH + "tensorflow/tensorflow/issues/64349",
            GH + "tensorflow/tensorflow/issues/33786",
            GH + "ardamavi/Game-Bot/issues/37",
        ),
        0.8,
        ("AttributeError", "ModuleNotFoundError", "ImportError"),
        analyzer="keras_attr",
    ),
    Signature(
        "KM4",
        k.API_VERSION_MISMATCH,
        "tensorflow",
        (r"(?:module 'tensorflow'|'module' object) has no attribute 'keras'",),
        "This TensorFlow has no `tf.keras` (it arrived in TensorFlow 1.4): the code needs a newer "
        "TensorFlow.",
        "Upgrade TensorFlow (`pip install -U tensorflow`); if it is recent, look for a file or "
        "folder named `tensorflow` that shadows the package.",
        ("tensorflow",),
        (
            GH + "tensorflow/tensorflow/issues/16614",
            GH + "tensorflow/models/issues/5590",
            GH + "tensorflow/tensorflow/issues/39139",
        ),
        0.8,
        ("AttributeError",),
        analyzer="tf_keras_missing",
    ),
    Signature(
        "KM5",
        k.KERAS_VERSION_MIX,
        "keras",
        (
            r"module 'tensorflow(?:\._api\.v1)?\.compat\.v2(?:\.__internal__)?' has no attribute "
            r"'(?:__internal__|tf2)'",
        ),
        "Standalone keras (2.5 or newer, which calls TensorFlow's `__internal__` API) is imported "
        "beside an older TensorFlow.",
        "Install keras at TensorFlow's minor version, or import `tensorflow.keras` instead.",
        ("keras", "tensorflow"),
        (GH + "tensorflow/tensorflow/issues/48799", GH + "tensorflow/tensorflow/issues/49823"),
        0.85,
        ("AttributeError",),
        analyzer="keras_pair",
    ),
    Signature(
        "KM7",
        k.KERAS_VERSION_MIX,
        "keras",
        (
            r"Unrecognized keyword arguments passed to (?P<layer>\w+): \{(?P<args>[^}\n]*)\}",
            r"Layer '(?P<layer>\w+)' expected \d+ variables, but received \d+ variables? during loading",
        ),
        "Keras 3 cannot rebuild layer `{layer}` from a configuration or weights written by Keras 2 "
        "(tf.keras): an argument Keras 3 dropped, or state a legacy file lays out differently (a "
        "typo in your own arguments reads the same).",
        "Load the file with the Keras 2 stack that wrote it (`pip install tf_keras`, set "
        "TF_USE_LEGACY_KERAS=1 before importing TensorFlow, or pin tensorflow<2.16) and re-save it as "
        "`.keras`; or rebuild the model in code and load its weights.",
        ("keras", "tensorflow"),
        (
            GH + "keras-team/keras/issues/19151",
            GH + "keras-team/keras/issues/19441",
            GH + "keras-team/keras/issues/19373",
        ),
        0.75,
        ("ValueError",),
        analyzer="keras3",
    ),
    Signature(
        "KM8",
        k.API_VERSION_MISMATCH,
        "tensorflow",
        (r"Unrecognized keyword arguments:'?,? dict_keys\(\[(?P<args>[^\]\n]*)\]\)",),
        "An older tf.keras cannot read a model saved by a newer one: it does not know the layer "
        "arguments {args}.",
        "Load the model with the TensorFlow/Keras release that saved it (or newer), or re-save it "
        "from that release with only arguments the older one knows.",
        ("tensorflow", "keras"),
        (GH + "keras-team/keras/issues/8956",),
        0.75,
        ("ValueError",),
    ),
    Signature(
        "KM6",
        k.LAYER_MASKING_UNSUPPORTED,
        "keras",
        (
            r"\b(?P<layer>\w+) does not support masking, but was passed an input_mask",
            r"Attached non-masking layer to layer with masked output",
        ),
        "Keras layer `{layer}` receives a mask (from `Embedding(mask_zero=True)` or `Masking`) but "
        "does not support masking.",
        "Consume the mask before `{layer}` (an RNN layer, GlobalAveragePooling1D), drop "
        "`mask_zero=True` / `Masking`, or, in your own layer, set `self.supports_masking = True` "
        "(and define `compute_mask` when the layer changes the time axis).",
        ("keras",),
        (
            GH + "codekansas/keras-language-modeling/issues/22",
            GH + "keras-team/keras/issues/13189",
            GH + "keras-team/keras/issues/320",
        ),
        0.85,
        analyzer="keras_masking",
    ),
)
