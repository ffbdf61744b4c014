"""Keras 2 or 3: from the import paths, the walked tree, and the environment when known."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from compataudit.cli.commands.doctor import register
from compataudit.doctor import lint_env
from compataudit.doctor.classes import KerasGeneration
from compataudit.doctor.lint import lint_findings, lint_paths
from compataudit.model import Package
from compataudit.sources.whatif import empty_environment

LINT = Path(__file__).resolve().parents[1] / "fixtures" / "lint"
STANDALONE_K2 = LINT / "rules" / "keras2_standalone.py"
TF_KERAS_LAYER = LINT / "recall" / "r06_deepfm_layer_no_super.py"


def kinds(path: Path, keras: KerasGeneration | None = None) -> list[tuple[str, str, str]]:
    result = lint_paths([str(path)], cache_dir=False, keras=keras)
    return sorted((p.kind, p.severity.value, p.symbol) for p in result.problems)


@pytest.mark.parametrize(
    ("keras", "tensorflow", "tf_keras", "legacy", "expected"),
    [
        (None, None, None, None, KerasGeneration(None, None)),
        ("2.3.1", None, None, None, KerasGeneration(2, None)),
        ("3.15.1", "2.21.0", None, None, KerasGeneration(3, 3)),
        (None, "2.15.0rc1", None, None, KerasGeneration(None, 2)),
        ("2.15.0", "2.15.1", None, None, KerasGeneration(2, 2)),
        ("3.3.3", "2.16.1", "2.16.0", "1", KerasGeneration(3, 2)),
        ("3.3.3", "2.16.1", None, "1", KerasGeneration(3, 3)),  # no tf-keras to switch to
        ("3.3.3", "2.16.1", "2.16.0", "0", KerasGeneration(3, 3)),
        ("not-a-version", None, None, None, KerasGeneration(None, None)),
    ],
)
def test_generation_from_installed_versions(
    keras: str | None,
    tensorflow: str | None,
    tf_keras: str | None,
    legacy: str | None,
    expected: KerasGeneration,
) -> None:
    assert lint_env.keras_generation(keras, tensorflow, tf_keras=tf_keras, legacy_env=legacy) == expected


def test_standalone_keras_is_keras_2_when_the_file_uses_the_keras_2_backend_api() -> None:
    # K.sum exists only in Keras 2's keras.backend: get_config is due, and the Model's
    # helper (first parameter `model`) assigns layers before Model.__init__.
    assert kinds(STANDALONE_K2) == [
        ("missing-get-config", "warning", "Attention"),
        ("missing-super-init", "error", "Tower"),
    ]
    # An environment with Keras 3 installed overrides the import-path guess.
    assert kinds(STANDALONE_K2, KerasGeneration(standalone=3)) == []


def test_the_keras_2_guess_spreads_over_the_walked_tree(tmp_path: Path) -> None:
    (tmp_path / "backend_ops.py").write_text("from keras.layers.merge import concatenate\n", encoding="utf-8")
    (tmp_path / "layers.py").write_text(
        "from keras.layers import Layer\n\n\n"
        "class Scale(Layer):\n"
        "    def __init__(self, factor, **kwargs):\n"
        "        super().__init__(**kwargs)\n"
        "        self.factor = factor\n\n"
        "    def call(self, x):\n"
        "        return x * self.factor\n",
        encoding="utf-8",
    )
    assert [p.kind for p in lint_paths([str(tmp_path)], cache_dir=False).problems] == ["missing-get-config"]
    # A Keras-3-only import anywhere in the tree leaves it undecided: Keras 3 rules.
    (tmp_path / "ops.py").write_text("from keras import ops\n", encoding="utf-8")
    assert lint_paths([str(tmp_path)], cache_dir=False).problems == []


def test_tf_keras_follows_the_installed_tensorflow() -> None:
    today = kinds(TF_KERAS_LAYER)  # no environment: tf.keras is Keras 2
    assert ("missing-get-config", "warning", "FMInteraction") in today
    keras3 = kinds(TF_KERAS_LAYER, KerasGeneration(tf_keras=3))
    # Keras 3 records plain arguments itself; Layer.__init__ is still missing.
    assert keras3 == [("missing-super-init", "error", "FMInteraction")]
    assert kinds(TF_KERAS_LAYER, KerasGeneration(tf_keras=2)) == today


def _app() -> typer.Typer:
    application = typer.Typer()
    register(application)
    return application


def test_cli_reads_the_environment_unless_no_probe(monkeypatch: pytest.MonkeyPatch) -> None:
    installed = {"keras": "3.15.1", "tensorflow": "2.21.0"}  # the metadata boundary
    monkeypatch.setattr(lint_env, "_installed", installed.get)
    monkeypatch.delenv("TF_USE_LEGACY_KERAS", raising=False)
    runner = CliRunner()
    probed = runner.invoke(_app(), ["lint", str(TF_KERAS_LAYER), "--no-cache", "--fail-on", "warning"])
    bare = runner.invoke(
        _app(), ["lint", str(TF_KERAS_LAYER), "--no-cache", "--no-probe", "--fail-on", "warning"]
    )
    assert "missing-get-config" not in probed.stdout and "missing-super-init" in probed.stdout
    assert "missing-get-config" in bare.stdout and "missing-super-init" in bare.stdout
    assert probed.exit_code == bare.exit_code == 1


def test_check_code_uses_the_audited_environment() -> None:
    def env(*pins: tuple[str, str], legacy: str | None = None) -> KerasGeneration:
        base = empty_environment()
        packages = tuple(Package(name, version) for name, version in pins)
        extra = (("TF_USE_LEGACY_KERAS", legacy),) if legacy is not None else ()
        return lint_env.environment_keras_generation(
            replace(base, packages=packages, env_vars=base.env_vars + extra, origin="snapshot")
        )

    assert env() == KerasGeneration(None, None)
    assert env(("keras", "2.15.0"), ("tensorflow-cpu", "2.15.1")) == KerasGeneration(2, 2)
    assert env(("keras", "3.6.0"), ("tensorflow", "2.18.0")) == KerasGeneration(3, 3)
    legacy = env(("keras", "3.6.0"), ("tensorflow", "2.18.0"), ("tf-keras", "2.18.0"), legacy="1")
    assert legacy == KerasGeneration(3, 2)
    codes = {f.code for f in lint_findings([str(TF_KERAS_LAYER)], KerasGeneration(tf_keras=3))}
    assert codes == {"LNT006"}  # no LNT005: Keras 3 records the plain argument
    assert {f.code for f in lint_findings([str(TF_KERAS_LAYER)])} == {"LNT005", "LNT006"}
