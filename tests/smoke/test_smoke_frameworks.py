"""The real kernels, on the CPU, for the frameworks installed in this environment.

Frameworks are never imported in the test process: what is installed is read
from distribution metadata, and each kernel runs in its own subprocess.
"""

from __future__ import annotations

import importlib.metadata
import json
from pathlib import Path

import pytest

from compataudit.distributions import TENSORFLOW
from compataudit.model import (
    Environment,
    SmokeResult,
    SmokeStatus,
    from_jsonable,
    to_jsonable,
)
from compataudit.smoke.runner import run_smoke
from tests.envs import environment

pytestmark = [pytest.mark.frameworks, pytest.mark.slow]

WANTED = ("torch", *TENSORFLOW, "keras", "jax", "jaxlib")
RUNTIME_KEYS = {
    "torch": {"torch", "cuda", "reference"},
    "tensorflow": {"tensorflow", "cuda", "reference"},
    "keras": {"keras", "backend", "KERAS_BACKEND", "reference"},
    "jax": {"jax", "jaxlib", "backend", "reference"},
}
# A numpy package whose import fails as if numpy were not installed.
HIDE_NUMPY = Path(__file__).resolve().parents[1] / "fixtures" / "fake_frameworks" / "no_numpy"


def installed() -> dict[str, str]:
    found = {}
    for name in WANTED:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return found


def this_environment() -> Environment:
    return environment(*installed().items(), python="3.11")


def framework_version(framework: str) -> str:
    versions = installed()
    if framework == "tensorflow":
        names = [n for n in TENSORFLOW if n in versions]
        if not names:
            pytest.skip("TensorFlow is not installed")
        return versions[names[0]]
    if framework not in versions or (framework == "jax" and "jaxlib" not in versions):
        pytest.skip(f"{framework} is not installed")
    if framework == "keras" and not versions["keras"].startswith(("3.", "4.")):
        pytest.skip("Keras 3 is not installed")
    return versions[framework]


@pytest.fixture(scope="module")
def all_results() -> list[SmokeResult]:
    """Every installed framework's kernel, once, all in parallel (as `check` runs them)."""
    return run_smoke(this_environment(), timeout=180, extra_env={"KERAS_BACKEND": "tensorflow"})


def cpu_result(results: list[SmokeResult], framework: str) -> SmokeResult:
    matching = [r for r in results if r.framework == framework]
    assert [(r.device, r.dtype) for r in matching] == [("cpu", "float32")], matching
    return matching[0]


def assert_passed(result: SmokeResult, version: str) -> None:
    assert result.status is SmokeStatus.PASS, result.detail
    assert result.max_rel_error is not None and 0.0 < result.max_rel_error < 1e-5
    assert result.forward_ms is not None and 0.0 < result.forward_ms < 5000
    assert result.backward_ms is not None and 0.0 < result.backward_ms < 5000
    assert result.framework_version == version
    assert RUNTIME_KEYS[result.framework] <= set(dict(result.runtime))


@pytest.mark.parametrize("framework", ["torch", "tensorflow", "keras", "jax"])
def test_real_kernel_passes_on_cpu(all_results: list[SmokeResult], framework: str) -> None:
    version = framework_version(framework)
    assert_passed(cpu_result(all_results, framework), version)


@pytest.mark.parametrize("framework", ["torch", "tensorflow", "keras", "jax"])
def test_numpy_is_the_reference_where_installed(all_results: list[SmokeResult], framework: str) -> None:
    framework_version(framework)
    assert dict(cpu_result(all_results, framework).runtime)["reference"] == "numpy float64"


def test_torch_without_numpy() -> None:
    """torch does not need numpy: the kernel judges it with the pure-Python reference."""
    version = framework_version("torch")
    hidden, shown = (
        cpu_result(run_smoke(this_environment(), frameworks=["torch"], timeout=180, extra_env=extra), "torch")
        for extra in ({"PYTHONPATH": str(HIDE_NUMPY)}, {})
    )
    assert_passed(hidden, version)
    assert dict(hidden.runtime)["reference"] == "pure Python float64 (numpy not installed)"
    assert dict(shown.runtime)["reference"] == "numpy float64"
    # Same inputs, same torch, same thread count: the errors agree to float64 noise.
    assert shown.max_rel_error is not None
    assert hidden.max_rel_error == pytest.approx(shown.max_rel_error, rel=1e-6)


def test_keras_reports_its_backend(all_results: list[SmokeResult]) -> None:
    framework_version("keras")
    runtime = dict(cpu_result(all_results, "keras").runtime)
    assert (runtime["backend"], runtime["KERAS_BACKEND"]) == ("tensorflow", "tensorflow")


def test_keras_with_the_jax_backend() -> None:
    version = framework_version("keras")
    framework_version("jax")
    results = run_smoke(this_environment(), frameworks=["keras"], extra_env={"KERAS_BACKEND": "jax"})
    result = cpu_result(results, "keras")
    assert_passed(result, version)
    assert dict(result.runtime)["backend"] == "jax"


def test_results_round_trip_through_json(all_results: list[SmokeResult]) -> None:
    assert all_results, "no framework installed"
    text = json.dumps(to_jsonable(all_results), allow_nan=False)
    back = [from_jsonable(SmokeResult, item) for item in json.loads(text)]
    assert back == all_results


@pytest.mark.parametrize("framework", ["keras", "tensorflow"])
def test_kernel_writes_nothing_into_home(
    framework: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Keras 3 writes ~/.keras/keras.json on import when there is none: not in our run. The
    # TensorFlow kernel imports it too (TensorFlow 2.21 with Keras 3 wrote it, before the fix).
    version = framework_version(framework)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("KERAS_HOME", raising=False)
    assert_passed(cpu_result(run_smoke(this_environment(), frameworks=[framework]), framework), version)
    assert list(tmp_path.iterdir()) == []


def test_keras_kernel_reads_the_users_configuration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    version = framework_version("keras")
    framework_version("jax")
    config = tmp_path / ".keras" / "keras.json"
    config.parent.mkdir()
    config.write_text('{"backend": "jax"}')
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("KERAS_HOME", raising=False)
    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    result = cpu_result(run_smoke(this_environment(), frameworks=["keras"]), "keras")
    assert_passed(result, version)
    assert dict(result.runtime)["backend"] == "jax"
    assert config.read_text() == '{"backend": "jax"}'
