"""``explain`` on the message families of issue 11, on real fixtures: the facts each
message carries, the environment cross-check of the new kinds, the JSON schema and
speed guards. Every text here is a fixture copied from a public issue (see its
first line) or a documented transformation of one.
"""

from __future__ import annotations

import json

import pytest

import compataudit.doctor as kinds
from compataudit.doctor.diagnosis import Diagnosis
from compataudit.doctor.explain import KNOWLEDGE_BASE, explain_text
from compataudit.formats.diagnoses import render_json
from compataudit.formats.schema import load_schema
from compataudit.model import Environment
from tests.doctor.explain_helpers import TRACEBACKS, first_diagnosis, make_env


def text_of(name: str) -> str:
    return (TRACEBACKS / name).read_text(encoding="utf-8")


def top(name: str, env: Environment | None = None) -> Diagnosis:
    return first_diagnosis(TRACEBACKS / name, env)


# --------------------------------------------------------------------------- facts from the text


def test_autograd_and_autocast_keys_are_not_cuda_kernels() -> None:
    """`AutogradCUDA` / `AutocastCUDA` in the list: still no CUDA kernel, a CPU-only build."""
    diag = top("n39_dispatch_mac_autocast_keys.txt")
    assert diag.kind == "cpu-only-build"
    listed = next(e for e in diag.evidence if e.startswith("`aten::empty_strided` has kernels for"))
    assert "AutogradCUDA" not in listed and "CPU, MPS" in listed


def test_registration_lines_stand_in_for_a_missing_backend_list() -> None:
    diag = top("n37_dispatch_pin_memory.txt")
    assert diag.kind == "cpu-only-build"
    assert any("NestedTensorCPU" in e for e in diag.evidence)


def test_a_cuda_only_aten_op_given_cpu_tensors() -> None:
    diag = top("n33_dispatch_scaled_mm_cpu.txt")
    assert diag.kind == "cuda-only-extension-op"
    assert "aten::_scaled_mm" in diag.summary


@pytest.mark.parametrize(
    "transform",
    [lambda t: t, lambda t: t.replace("'", "\\'"), lambda t: repr(t.strip().split(": ", 1)[1])],
    ids=["as-printed", "escaped-quotes", "repr"],
)
def test_mps_message_in_every_quoting(transform: object) -> None:
    """Loggers and re-raised exceptions print the message repr-escaped (`\\'aten::…\\'`)."""
    text = text_of("n32_mps_slow_conv2d.txt").split("\n", 1)[1]
    diag = explain_text(transform(text))[0]  # type: ignore[operator]
    assert diag.kind == "mps-unsupported-op"
    assert "aten::_slow_conv2d_forward" in diag.summary


def test_mps_wording_of_torch_1_12() -> None:
    diag = top("n25_mps_not_current_implemented.txt")
    assert diag.kind == "mps-unsupported-op" and "aten::index.Tensor_out" in diag.summary


def test_torchvision_cuda_versions_are_read_across_a_wrapped_line() -> None:
    diag = top("n20_tv_cuda_wrapped.txt")
    assert diag.kind == "torch-extension-mismatch"
    assert "CUDA 11.7" in diag.summary and "CUDA 11.8" in diag.summary


@pytest.mark.parametrize(
    ("name", "kind", "words"),
    [
        ("n41_mmcv_ms_deform_cuda1.txt", "torch-extension-mismatch", "no CUDA kernel"),
        ("h06_mmcv_riroi_cpu.txt", "cuda-only-extension-op", "CUDA kernels only"),
        ("h05_mmcv_nms_wrapped_device.txt", "torch-extension-mismatch", "no CUDA kernel"),
    ],
)
def test_mmcv_device_decides_built_without_cuda_or_run_on_cpu(name: str, kind: str, words: str) -> None:
    diag = top(name)
    assert diag.kind == kind and words in diag.summary


@pytest.mark.parametrize(
    ("name", "kind", "words"),
    [
        ("n55_device_input_cpu_weight_cuda.txt", "device-mismatch", "on cpu but the weight is on cuda"),
        ("n63_dtype_old_cuda_wording.txt", "dtype-mismatch", "Float but the weight is Half"),
        ("n65_device_half_cuda_vs_cpu.txt", "device-mismatch", "on cuda but the weight is on cpu"),
        ("n64_dtype_cudnn_backward.txt", "dtype-mismatch", "Half but the weight is Float"),
        ("n59_device_same_device_wrapper_mm.txt", "device-mismatch", "on cpu and on cuda:0"),
    ],
)
def test_device_or_dtype_from_the_two_type_names(name: str, kind: str, words: str) -> None:
    diag = top(name)
    assert diag.kind == kind
    assert words in diag.summary


# --------------------------------------------------------------------------- base-class methods


def test_the_users_subclass_and_the_method_are_named() -> None:
    diag = top("n73_torch_dataset_getitem_typo_with_code.txt")
    assert diag.kind == "missing-method"
    assert "`__getitem__`" in diag.summary and "`Mushroom_dataset`" in diag.summary
    assert "torch.utils.data.Dataset" in diag.summary


@pytest.mark.parametrize(
    ("name", "method", "base"),
    [
        ("n51_pyg_dataset_len_bare.txt", "len", "torch_geometric.data.Dataset"),
        ("n52_torch_dataset_len_bare.txt", "__len__", "torch.utils.data.Dataset"),
        ("h17_gym_action_wrapper_ipython.txt", "action", "gym/core.py"),
        ("n54_openpcdet_base_len.txt", "__len__", "pcdet/datasets/dataset.py"),
    ],
)
def test_a_bare_notimplementederror_names_the_base_method(name: str, method: str, base: str) -> None:
    diag = top(name)
    assert diag.kind == "missing-method"
    assert f"`{method}`" in diag.summary and base in diag.summary
    assert f"Define `{method}`" in diag.fix


def test_a_notimplementederror_with_a_message_from_another_signature_is_left_to_it() -> None:
    (diag,) = explain_text(text_of("t04_dataset_getitem.txt"))
    assert diag.signatures == ("T2",)


def test_ipython_header_line_is_not_the_exception() -> None:
    header_only = "NotImplementedError                       Traceback (most recent call last)\n"
    assert explain_text(header_only) == []


# --------------------------------------------------------------------------- environment


def test_cuda_only_op_on_a_cpu_torch_cannot_run_here() -> None:
    base = top("n44_deformable_detr_not_on_cpu.txt")
    diag = top("n44_deformable_detr_not_on_cpu.txt", make_env(("torch", "2.5.1+cpu")))
    assert diag.kind == "cuda-only-extension-op" and diag.confidence > base.confidence
    assert any("CPU-only build: this op cannot run on this machine" in e for e in diag.evidence)


def test_mmcv_lite_confirms_an_extension_without_cuda() -> None:
    env = make_env(("torch", "2.1.0+cu121"), ("mmcv-lite", "2.1.0"))
    diag = top("n41_mmcv_ms_deform_cuda1.txt", env)
    assert any("mmcv-lite is installed" in e for e in diag.evidence)
    assert diag.confidence > top("n41_mmcv_ms_deform_cuda1.txt").confidence


@pytest.mark.parametrize(("keras", "direction"), [("3.3.3", 1), ("2.15.0", -1)])
def test_keras3_file_format_is_checked_against_the_installed_keras(keras: str, direction: int) -> None:
    base = top("n05_keras3_savedmodel_traceback.txt").confidence
    diag = top("n05_keras3_savedmodel_traceback.txt", make_env(("tensorflow", "2.16.1"), ("keras", keras)))
    assert diag.kind == "keras-version-mix"
    assert (diag.confidence - base) * direction > 0


def test_tf_keras_installed_adds_the_switch_to_the_fix() -> None:
    env = make_env(("tensorflow", "2.17.0"), ("keras", "3.4.1"), ("tf-keras", "2.17.0"))
    assert "set TF_USE_LEGACY_KERAS=1" in top("n18_keras3_conv2d_not_available.txt", env).fix


def test_keras3_installed_turns_a_missing_attribute_into_a_version_mix() -> None:
    assert top("n09_keras_engine_layer_cpython.txt").kind == "api-version-mismatch"
    env = make_env(("tensorflow", "2.16.1"), ("keras", "3.3.3"))
    assert top("n09_keras_engine_layer_cpython.txt", env).kind == "keras-version-mix"


def test_standalone_keras_of_another_minor_than_tensorflow_is_a_version_mix() -> None:
    """The held-out text the words alone get wrong (h12): the environment shows two Keras."""
    assert top("h12_keras_generic_utils_snake_case.txt").kind == "api-version-mismatch"
    env = make_env(("tensorflow", "2.5.0"), ("keras", "2.4.3"))
    diag = top("h12_keras_generic_utils_snake_case.txt", env)
    assert diag.kind == "keras-version-mix"
    assert any("keras 2.4.3 beside tensorflow 2.5.0" in e for e in diag.evidence)
    matched = make_env(("tensorflow", "2.5.0"), ("keras", "2.5.0"))
    assert top("h12_keras_generic_utils_snake_case.txt", matched).kind == "api-version-mismatch"


def test_a_recent_tensorflow_contradicts_tf_keras_missing() -> None:
    base = top("n11_tf_no_keras_tf012.txt").confidence
    diag = top("n11_tf_no_keras_tf012.txt", make_env(("tensorflow", "2.15.0")))
    assert diag.confidence < base and any("shadowing" in e for e in diag.evidence)


def test_torchvision_of_another_cuda_variant_confirms() -> None:
    env = make_env(("torch", "2.0.1+cu117"), ("torchvision", "0.15.2+cu118"))
    diag = top("n22_tv_cuda_major.txt", env)
    assert any("different build variants" in e for e in diag.evidence)


# --------------------------------------------------------------------------- contract and cost


def test_explain_json_matches_the_schema_and_its_kinds() -> None:
    import jsonschema

    schema = load_schema()
    document = {"$ref": "#/$defs/explain_document", "$defs": schema["$defs"]}
    validator = jsonschema.Draft202012Validator(document)
    for path in sorted(TRACEBACKS.glob("*.txt")):
        validator.validate(json.loads(render_json(explain_text(path.read_text(encoding="utf-8")))))
    declared = {v for n, v in vars(kinds).items() if n.isupper() and isinstance(v, str) and "-" in v}
    assert set(schema["$defs"]["diagnosis_kind"]["enum"]) == declared
    assert {s.kind for s in KNOWLEDGE_BASE} <= declared


def test_patterns_are_compiled_once() -> None:
    sig = KNOWLEDGE_BASE[0]
    assert sig.compiled is sig.compiled and sig.compiled_frames is sig.compiled_frames


@pytest.mark.parametrize(
    "text",
    [
        "a" * 200_000,  # one long word: no pattern may backtrack over it quadratically
        "NotImplementedError\n" + "b" * 200_000,
        'File "x.py", line 1, in f\n' * 2_000 + "NotImplementedError\n",
        "x" * 100_000 + "_impl: implementation for device cuda:0 not found",
    ],
    ids=["long-word", "nie-then-blob", "many-frames-then-nie", "long-op-name"],
)
def test_pasted_blobs_stay_cheap(text: str) -> None:
    for diagnosis in explain_text(text):
        assert 0 < diagnosis.confidence < 1
