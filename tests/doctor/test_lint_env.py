"""Keras 2 or 3: from the import paths, the walked tree, and the environment when known."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from compataudit.cli.commands.doctor import register
from compataudit.distributions import TENSORFLOW
from compataudit.doctor import lint_env
from compataudit.doctor.classes import KerasGeneration
from compataudit.doctor.lint import lint_findings, lint_paths
from compataudit.model import Package
from compataudit.probes.packages import scan_distributions
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


def _dist(site: Path, name: str, version: str, *, module: str | None = None, egg: bool = False) -> None:
    """A distribution's metadata as pip writes it: ``<name>-<version>.dist-info/METADATA``
    (or an old ``.egg-info/PKG-INFO``), the description after the header block."""
    stem = f"{name.replace('-', '_')}-{version}"
    info = site / (f"{stem}-py3.7.egg-info" if egg else f"{stem}.dist-info")
    info.mkdir(parents=True)
    headers = [
        "Metadata-Version: 2.1",
        f"Name: {name}",
        f"Version: {version}",
        "Summary: a distribution",
        "Requires-Python: >=3.9",
        "Requires-Dist: numpy",
        "Description-Content-Type: text/markdown",
    ]
    body = "\nVersion: 9.9.9\n(the long description is not metadata)\n"
    (info / ("PKG-INFO" if egg else "METADATA")).write_text(
        "\n".join(headers) + "\n" + body, encoding="utf-8"
    )
    if module is not None:
        (site / module).mkdir(exist_ok=True)
        (site / module / "__init__.py").write_text("", encoding="utf-8")
        (info / "top_level.txt").write_text(module + "\n", encoding="utf-8")


def _by_importlib_metadata(site: Path, legacy: str | None) -> KerasGeneration:
    """The generations as the stdlib reads the same site directory (the former way)."""
    import importlib.metadata

    def version(name: str) -> str | None:
        found = next(iter(importlib.metadata.distributions(name=name, path=[str(site)])), None)
        return found.version if found is not None else None

    tensorflow = next((v for v in map(version, TENSORFLOW) if v), None)
    return lint_env.keras_generation(
        version("keras"), tensorflow, tf_keras=version("tf-keras"), legacy_env=legacy
    )


@pytest.mark.parametrize(
    ("dists", "legacy", "expected"),
    [
        ([], None, KerasGeneration(None, None)),
        (
            [("keras", "3.15.1", "keras"), ("tensorflow-cpu", "2.21.0", "tensorflow")],
            None,
            KerasGeneration(3, 3),
        ),
        ([("keras", "2.15.0", "keras"), ("tensorflow", "2.15.1", "tensorflow")], None, KerasGeneration(2, 2)),
        (
            [
                ("keras", "3.6.0", "keras"),
                ("tensorflow", "2.18.0", "tensorflow"),
                ("tf-keras", "2.18.0", "tf_keras"),
            ],
            "1",
            KerasGeneration(3, 2),
        ),
        ([("tf-nightly", "2.22.0.dev20260101", "tensorflow")], None, KerasGeneration(None, 3)),
        ([("Keras", "2.15.0", "keras")], None, KerasGeneration(2, None)),  # Name spelled as uploaded
        ([("keras", "3.15.1", None)], None, KerasGeneration(3, None)),  # keras/ gone: metadata still says 3
        # two TensorFlow distributions: the first of TENSORFLOW's names, as before
        (
            [("tensorflow-intel", "2.16.1", "tensorflow"), ("tensorflow", "2.15.1", "tensorflow")],
            None,
            KerasGeneration(None, 2),
        ),
    ],
)
def test_probe_agrees_with_the_scanner_and_with_importlib_metadata(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    dists: list[tuple[str, str, str | None]],
    legacy: str | None,
    expected: KerasGeneration,
) -> None:
    site = tmp_path / "site-packages"
    site.mkdir()
    for name, version, module in dists:
        _dist(site, name, version, module=module)
    if legacy is None:
        monkeypatch.delenv("TF_USE_LEGACY_KERAS", raising=False)
    else:
        monkeypatch.setenv("TF_USE_LEGACY_KERAS", legacy)
    scanned = {p.name: p.version for p in scan_distributions([str(site)])}
    from_scanner = lint_env.keras_generation(
        scanned.get("keras"),
        next((scanned[n] for n in TENSORFLOW if n in scanned), None),
        tf_keras=scanned.get("tf-keras"),
        legacy_env=legacy,
    )
    got = lint_env.probe_keras_generation([str(site)])
    assert got == from_scanner == _by_importlib_metadata(site, legacy) == expected


def test_probe_reads_egg_info_like_importlib_metadata(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TF_USE_LEGACY_KERAS", raising=False)
    _dist(tmp_path, "Keras", "2.3.1", module="keras", egg=True)
    got = lint_env.probe_keras_generation([str(tmp_path)])
    assert got == _by_importlib_metadata(tmp_path, None) == KerasGeneration(2, None)


def test_probe_agrees_with_importlib_metadata_on_this_interpreter(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever keras / TensorFlow this interpreter has (none at all counts too)."""
    import importlib.metadata

    monkeypatch.delenv("TF_USE_LEGACY_KERAS", raising=False)

    def version(name: str) -> str | None:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            return None

    expected = lint_env.keras_generation(
        version("keras"), next((v for v in map(version, TENSORFLOW) if v), None), tf_keras=version("tf-keras")
    )
    assert lint_env.probe_keras_generation() == expected


def test_cli_reads_the_environment_unless_no_probe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a site directory ahead of every other on sys.path: its keras and TensorFlow are the ones found
    _dist(tmp_path, "keras", "3.15.1")
    _dist(tmp_path, "tensorflow", "2.21.0")
    monkeypatch.syspath_prepend(str(tmp_path))
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
