"""Keras (2 and 3), tf.keras and TensorFlow error signatures for ``explain``.

Kept apart from the torch table in :mod:`compataudit.doctor.signatures` only
to keep each module short; :data:`compataudit.doctor.explain.KNOWLEDGE_BASE` joins them.
"""

from __future__ import annotations

from compataudit import doctor as k
from compataudit.doctor.signatures import GH, Signature

KERAS_LAYER_SRC = GH + "keras-team/keras/blob/master/keras/src/layers/layer.py"
KERAS_MODEL_SRC = GH + "keras-team/keras/blob/master/keras/src/models/model.py"
_CALL_FIX = "Define `def call(self, inputs):` in {cls} (not `forward`, `Call` or `__call__`)."

KERAS_SIGNATURES: tuple[Signature, ...] = (
    Signature(
        "K1",
        k.MISSING_CALL,
        "keras",
        (r"Layer (?P<cls>\w+) does not have a `call(?:\(\))?` method implemented",),
        "Keras 3 layer `{cls}` has no `call` method.",
        _CALL_FIX,
        ("keras",),
        (KERAS_LAYER_SRC,),
        0.9,
        ("NotImplementedError",),
    ),
    Signature(
        "K2-keras3",
        k.MISSING_CALL,
        "keras",
        (r"Model (?P<cls>\w+) does not have a `call(?:\(\))?` method implemented",),
        "Keras 3 model `{cls}` has no `call` method.",
        _CALL_FIX,
        ("keras",),
        (KERAS_MODEL_SRC,),
        0.9,
        ("NotImplementedError",),
    ),
    Signature(
        "K2-old",
        k.MISSING_CALL,
        "keras",
        (r"When subclassing the `Model` class, you should implement a `call` method",),
        "A subclassed Keras 2 / tf.keras Model has no `call` method (common with custom "
        "train_step models; TF < 2.2 does not honour train_step at all).",
        "Add `call` to the Model subclass (it may simply run the sub-networks); for the "
        "train_step pattern use TensorFlow >= 2.2.",
        ("keras", "tensorflow"),
        (GH + "keras-team/keras-io/issues/114", GH + "tensorflow/tensorflow/issues/43173"),
        0.85,
        ("NotImplementedError",),
    ),
    Signature(
        "K2-tf",
        k.MISSING_CALL,
        "keras",
        (
            r"Unimplemented `tf\.keras\.Model\.call\(\)`: if you intend to create a `Model` with "
            r"the Functional API",
        ),
        "A subclassed tf.keras Model has no `call` method (or was reloaded without its custom class).",
        "Add `call` to the Model subclass, or pass `inputs`/`outputs` for a functional model; "
        "reload with `custom_objects`.",
        ("keras", "tensorflow"),
        (GH + "keras-team/tf-keras/issues/571",),
        0.85,
        ("NotImplementedError",),
    ),
    Signature(
        "K3-args",
        k.MISSING_GET_CONFIG,
        "keras",
        (
            r"Layers with arguments in `__init__` must override `get_config`",
            r"Layer (?P<cls>\w+) has arguments(?:\s+\[[^\]]*\])?\s+in `__init__` and "
            r"therefore must override `get_config",
        ),
        "A custom Keras layer with constructor arguments defines no `get_config` (raised when "
        "the model is saved or checkpointed).",
        "Implement `get_config` returning the constructor arguments (and `from_config` for "
        "non-primitive ones), or save weights only.",
        ("keras", "tensorflow"),
        (
            GH + "tensorflow/tensorflow/issues/33947",
            GH + "thatbrguy/Hyperspectral-Image-Segmentation/issues/2",
        ),
        0.9,
        ("NotImplementedError",),
    ),
    Signature(
        "K3-serializable",
        k.MISSING_GET_CONFIG,
        "keras",
        (
            r"(?:Layer|Object) (?P<cls>\w+) was created by passing\s+non-serializable argument "
            r"values in `__init__\(\)`",
        ),
        "Keras layer `{cls}` takes non-serializable constructor arguments and defines no `get_config`.",
        "Implement `get_config` (and `from_config`) in {cls}, or save weights only.",
        ("keras",),
        (GH + "google-research/maxvit/issues/6", GH + "4uiiurz1/keras-arcface/issues/33"),
        0.9,
        ("NotImplementedError",),
    ),
    Signature(
        "K4",
        k.MISSING_METHOD,
        "keras",
        (
            r"implement the `compute_output_shape` method on your layer \((?P<cls>\w+)\)",
            # Keras 3: "Layer X does not have a `compute_output_shape` method implemented." (the
            # backticks are often lost when the text is pasted into Markdown).
            r"(?:Layer|Model) (?P<cls2>\w+) (?:should implement|does not have a\s+`?compute_output_shape`?"
            r"(?:\(\))?\s+(?:#\s*)?method)",
        ),
        "A custom Keras layer's output shape cannot be inferred; often Keras-2-era code running "
        "under Keras 3 (TensorFlow >= 2.16).",
        "Implement `compute_output_shape`, or pin the stack the code was written for (e.g. "
        "tensorflow 2.15 with keras 2.15).",
        ("keras", "tensorflow"),
        (GH + "Zenome84/tft_keras/issues/5", GH + "keras-team/keras/issues/19259"),
        0.6,
        ("NotImplementedError",),
        analyzer="keras_era",
    ),
    Signature(
        "K5",
        k.KERAS_VERSION_MIX,
        "keras",
        (r"Only instances of `keras\.Layer` can be added to a Sequential model",),
        "A Keras 2 object (tensorflow_hub / tf_keras) is added to a Keras 3 model "
        "(TensorFlow >= 2.16 makes tf.keras Keras 3).",
        "`pip install tf_keras` and set TF_USE_LEGACY_KERAS=1 before importing TensorFlow, or "
        "pin tensorflow 2.15.",
        ("keras", "tensorflow", "tensorflow-hub"),
        (GH + "tensorflow/tensorflow/issues/65419", GH + "tensorflow/hub/issues/920"),
        0.9,
        ("ValueError",),
        analyzer="keras_era",
    ),
    Signature(
        "K6",
        k.KERAS_VERSION_MIX,
        "keras",
        (r"The added layer must be an instance of class Layer\. Found:? <",),
        "Standalone `keras` layers are mixed with a `tensorflow.keras` model (two separate "
        "Layer hierarchies).",
        "Import every layer from one namespace (`from tensorflow import keras` or `import "
        "keras`), matching the installed versions.",
        ("keras", "tensorflow"),
        (GH + "keunwoochoi/kapre/issues/73", GH + "keras-team/keras/issues/11848"),
        0.85,
        ("TypeError",),
    ),
    Signature(
        "K7",
        k.API_VERSION_MISMATCH,
        "keras",
        (r"A KerasTensor cannot be used as input to a TensorFlow function",),
        "Keras-2-era functional code calls raw `tf.*` ops on symbolic tensors under Keras 3.",
        "Wrap the TF call in a custom Layer (or use keras.ops), or use tf_keras / TensorFlow <= 2.15.",
        ("keras", "tensorflow"),
        (GH + "czwchenzhun/tfinterpy/pull/4", GH + "tensorflow/tensorflow/issues/62727"),
        0.85,
        ("ValueError",),
        analyzer="keras_era",
    ),
    Signature(
        "K8",
        k.MISSING_SUPER_INIT,
        "keras",
        (r"you forgot to call `super\(\)\.__init__\(\)`",),
        "A Keras Layer/Model subclass never calls `super().__init__()`.",
        "Add `super().__init__(**kwargs)` as the first statement of __init__.",
        ("keras",),
        (KERAS_LAYER_SRC, GH + "keras-team/keras/blob/v2.15.0/keras/engine/training.py"),
        0.9,
        ("RuntimeError",),
    ),
    Signature(
        "F1",
        k.NUMPY_INCOMPATIBLE,
        "tensorflow",
        (r"Cannot convert a symbolic Tensor \((?P<tensor>[^)]*)\) to a numpy array",),
        "TensorFlow <= 2.5 meets NumPy >= 1.20 while building a layer (LSTM/GRU); rarely, a "
        "symbolic tensor passed to NumPy.",
        "Pin numpy 1.19.x for TensorFlow 2.4/2.5, or upgrade TensorFlow.",
        ("tensorflow", "numpy"),
        (GH + "tensorflow/tensorflow/issues/47242", GH + "tensorflow/tensorflow/issues/47691"),
        0.75,
        ("NotImplementedError",),
        analyzer="tf_numpy",
    ),
    Signature(
        "F3",
        k.CUDA_LIBRARIES_MISSING,
        "tensorflow",
        (
            r"Failed to get convolution algorithm\. This is probably because cuDNN failed to "
            r"initialize",
            r"Loaded runtime CuDNN library: (?P<runtime>[\d.]+) but source was compiled with: "
            r"(?P<built>[\d.]+)",
        ),
        "The cuDNN TensorFlow loads does not match the one it was built with (or GPU memory "
        "ran out during cuDNN initialisation).",
        "Install the CUDA/cuDNN versions this TensorFlow release was tested with "
        "(https://www.tensorflow.org/install/source#gpu); enable memory growth.",
        ("tensorflow", "cudnn"),
        (GH + "tensorflow/tensorflow/issues/33666", GH + "faustomorales/keras-ocr/issues/85"),
        0.75,
    ),
    Signature(
        "F4",
        k.KERAS_VERSION_MIX,
        "keras",
        (r"cannot import name 'get_config' from 'tensorflow\.python\.eager\.context'",),
        "Standalone keras is newer than TensorFlow (for 2.6-2.15 their minor versions must match).",
        "Install keras at TensorFlow's minor version, or import `tensorflow.keras` instead.",
        ("keras", "tensorflow"),
        (GH + "MLBazaar/MLPrimitives/issues/260",),
        0.9,
        ("ImportError",),
        analyzer="keras_pair",
    ),
)
