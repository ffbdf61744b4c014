"""conda environment.yml: match specs, build strings, pytorch-cuda / cpuonly, the pip section."""

from __future__ import annotations

from pathlib import Path

import pytest

from compataudit.errors import InputError
from compataudit.inputs import read_stack_file
from compataudit.model import Environment, Finding
from compataudit.options import EnvOptions
from compataudit.probes.conda import build_facts, channel_name
from compataudit.sources.whatif import apply_what_if, empty_environment

FIXTURES = Path(__file__).parent.parent / "fixtures" / "inputs"


def test_environment_yml_fixture() -> None:
    stack = read_stack_file(str(FIXTURES / "environment.yml"))
    pins = {p.name: p for p in stack.pins}
    assert stack.kind == "environment.yml" and stack.python == "3.11"
    assert (pins["torch"].version, pins["torch"].channel) == ("2.1.0", "pytorch")
    assert pins["torch"].build is not None
    assert (pins["torch"].build.cuda, pins["torch"].build.cudnn) == ("12.1", "8.9.2")
    assert pins["torch"].where.endswith("environment.yml:9")
    assert pins["torchaudio"].version == "2.1.0+cu121"  # pip section, from the cu121 index
    assert "pytorch-cuda" in pins and "torchvision" in pins
    (note,) = stack.notes
    assert "timm" in note and "pandas" not in note  # only the audited stack is read from conda


def test_environment_yml_audit_has_the_conda_build_and_the_pair_mismatch() -> None:
    env = apply_what_if(
        empty_environment(), EnvOptions(requirements=(str(FIXTURES / "environment.yml"),), probe=False)
    )
    assert env.python.version == "3.11"
    build = env.build("torch")
    assert build is not None and build.cuda == "12.1"
    torch = env.package("torch")
    assert torch is not None and torch.channel == "pytorch"


@pytest.mark.parametrize(
    ("deps", "cuda", "cuda_build"),
    [
        ("  - pytorch=2.2.0\n  - pytorch-cuda=11.8\n", "11.8", True),
        ("  - pytorch==2.2.0\n  - cpuonly\n", None, False),
        ("  - pytorch 2.2.0 py3.10_cuda12.1_cudnn8.9.2_0\n", "12.1", True),
    ],
)
def test_pytorch_channel_variants(tmp_path: Path, deps: str, cuda: str | None, cuda_build: bool) -> None:
    (tmp_path / "environment.yml").write_text("channels: [pytorch, nvidia]\ndependencies:\n" + deps)
    (pin,) = [p for p in read_stack_file(str(tmp_path / "environment.yml")).pins if p.name == "torch"]
    assert pin.build is not None
    assert (pin.build.cuda, pin.build.is_cuda_build) == (cuda, cuda_build)


def test_fuzzy_conda_versions_are_not_audited(tmp_path: Path) -> None:
    (tmp_path / "environment.yml").write_text("dependencies:\n  - pytorch=2.2\n  - numpy>=1.26\n")
    stack = read_stack_file(str(tmp_path / "environment.yml"))
    assert stack.pins == ()
    assert "pytorch=2.2" in stack.notes[0] and "numpy>=1.26" in stack.notes[0]


def test_pip_section_replaces_the_conda_package(tmp_path: Path) -> None:
    (tmp_path / "environment.yml").write_text(
        "dependencies:\n  - pytorch=2.1.0\n  - pip:\n    - torch==2.5.1\n"
    )
    stack = read_stack_file(str(tmp_path / "environment.yml"))
    assert [(p.name, p.version) for p in stack.pins] == [("torch", "2.5.1")]
    assert "pip installs torch==2.5.1 over the conda package" in stack.notes[0]


def test_pip_section_includes_a_requirements_file(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("torchvision==0.16.0\n")
    (tmp_path / "environment.yml").write_text("dependencies:\n  - pip:\n    - -r requirements.txt\n")
    (pin,) = read_stack_file(str(tmp_path / "environment.yml")).pins
    assert pin.where.endswith("requirements.txt:1")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("dependencies:\n  - pytorch=2.1.0\n   bad: [\n", r"environment\.yml:\d+: not valid YAML"),
        ("- just a list\n", "not a conda environment file"),
        ("dependencies: pytorch\n", "'dependencies' is not a list"),
        ("dependencies:\n  - 'py torch!'\n", "not a conda package spec"),
        ("dependencies:\n  - pip:\n    - 'torch=='\n", "not a pip requirement"),
    ],
)
def test_malformed_environment_files(tmp_path: Path, body: str, message: str) -> None:
    (tmp_path / "environment.yml").write_text(body)
    with pytest.raises(InputError, match=message):
        read_stack_file(str(tmp_path / "environment.yml"))


@pytest.mark.parametrize(
    ("name", "build", "cuda", "cudnn", "is_cuda"),
    [
        ("pytorch", "py3.11_cuda12.1_cudnn8.9.2_0", "12.1", "8.9.2", True),  # pytorch channel
        ("pytorch", "py3.10_cpu_0", None, None, False),
        ("pytorch", "cuda126_generic_py311_h6c1f3b5_200", "12.6", None, True),  # conda-forge
        ("pytorch", "cpu_generic_py311_h1d6ea91_0", None, None, False),
        ("pytorch", "gpu_cuda118py311h5c5d6da_101", "11.8", None, True),  # anaconda defaults
        ("tensorflow-base", "cuda120py311h9b9b4c3_1", "12.0", None, True),
        ("jaxlib", "cuda120py311hd88f75c_200", "12.0", None, True),
        ("torchvision", "cuda128py311h4ee6afb_100", None, None, None),  # not a framework build
    ],
)
def test_build_strings(
    name: str, build: str, cuda: str | None, cudnn: str | None, is_cuda: bool | None
) -> None:
    facts = build_facts(name, "2.1.0", build, "x.json")
    if is_cuda is None:
        assert facts is None
        return
    assert facts is not None
    assert (facts.cuda, facts.cudnn, facts.is_cuda_build) == (cuda, cudnn, is_cuda)


@pytest.mark.parametrize(
    ("channel", "name"),
    [
        ("https://conda.anaconda.org/conda-forge/linux-64", "conda-forge"),
        ("https://conda.anaconda.org/conda-forge/", "conda-forge"),
        ("https://conda.anaconda.org/pytorch", "pytorch"),
        ("https://repo.anaconda.com/pkgs/main/linux-64", "pkgs/main"),
        ("nvidia", "nvidia"),
        ("", None),
    ],
)
def test_channel_names(channel: str, name: str | None) -> None:
    assert channel_name(channel) == name


def test_conda_list_export_spec_file(tmp_path: Path) -> None:
    """`conda list --export` output (as `conda create --file` reads it), detected by content."""
    (tmp_path / "requirements.txt").write_text(
        "# This file may be used to create an environment using:\n"
        "# $ conda create --name <env> --file <this file>\n# platform: linux-64\n"
        "cudatoolkit=11.3.1=h2bc3f7f_2\nnumpy=1.21.2\npython=3.9.7\n"
        "pytorch=1.12.1=py3.9_cuda11.3_cudnn8.3.2_0\ntorchvision=0.14.0=py39_cu113\n"
    )
    stack = read_stack_file(str(tmp_path / "requirements.txt"))
    assert (stack.kind, stack.python) == ("conda-spec", "3.9.7")
    pins = {p.name: p for p in stack.pins}
    assert pins["torch"].where.endswith("requirements.txt:7")
    assert pins["torch"].build is not None and pins["torch"].build.cudnn == "8.3.2"
    env = apply_what_if(
        empty_environment(), EnvOptions(requirements=(str(tmp_path / "requirements.txt"),), probe=False)
    )
    codes = {f.code for f in _checks(env)}
    assert "TCH001" in codes and "TCH003" not in codes  # 0.14 is torch 1.13's; conda builds agree


def test_spec_file_without_header_and_explicit_urls(tmp_path: Path) -> None:
    (tmp_path / "spec.txt").write_text(
        "cudatoolkit=11.3.1\npython=3.10.4\npytorch=1.12.1\ntorchvision=0.13.1\n"
    )
    stack = read_stack_file(str(tmp_path / "spec.txt"))
    assert stack.kind == "conda-spec"
    torch = next(p for p in stack.pins if p.name == "torch")
    assert torch.build is not None and torch.build.cuda == "11.3"  # cudatoolkit picks the variant
    (tmp_path / "explicit.txt").write_text(
        "# platform: linux-64\n@EXPLICIT\n"
        "https://conda.anaconda.org/pytorch/linux-64/pytorch-2.1.0-py3.11_cuda12.1_cudnn8.9.2_0.tar.bz2#6b04\n"
    )
    (pin,) = read_stack_file(str(tmp_path / "explicit.txt")).pins
    assert (pin.name, pin.version, pin.where.rsplit(":", 1)[1]) == ("torch", "2.1.0", "3")


def _checks(env: Environment) -> list[Finding]:
    from compataudit.checks import CheckContext, run_checks
    from compataudit.compat.matrices import load_matrices

    return run_checks(CheckContext(env, load_matrices()))


def _laughs(levels: int = 12, width: int = 12) -> str:
    lines = ["dependencies:", f"  - &a0 [{', '.join(['lol'] * width)}]"]
    lines += [f"  - &a{i} [{', '.join([f'*a{i - 1}'] * width)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("libyaml", [True, False])
def test_a_billion_laughs_is_refused_by_either_loader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, libyaml: bool
) -> None:
    import yaml

    if not libyaml:
        monkeypatch.delattr(yaml, "CSafeLoader", raising=False)
    elif not hasattr(yaml, "CSafeLoader"):
        pytest.skip("PyYAML without libyaml")
    (tmp_path / "environment.yml").write_text(_laughs())
    with pytest.raises(InputError, match="more than 100 aliases"):
        read_stack_file(str(tmp_path / "environment.yml"))


@pytest.mark.parametrize("libyaml", [True, False])
def test_deep_nesting_is_malformed_input_for_either_loader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, libyaml: bool
) -> None:
    import yaml

    if not libyaml:
        monkeypatch.delattr(yaml, "CSafeLoader", raising=False)
    (tmp_path / "environment.yml").write_text("dependencies:\n  - " + "[" * 20000 + "]" * 20000 + "\n")
    with pytest.raises(InputError, match="YAML"):
        read_stack_file(str(tmp_path / "environment.yml"))


def test_a_few_aliases_are_fine(tmp_path: Path) -> None:
    (tmp_path / "environment.yml").write_text(
        "x: &np numpy=1.26.4\ndependencies:\n  - python=3.11\n  - *np\n  - pip:\n    - torch==2.5.1\n"
    )
    stack = read_stack_file(str(tmp_path / "environment.yml"))
    assert stack.python == "3.11" and [p.name for p in stack.pins] == ["numpy", "torch"]
