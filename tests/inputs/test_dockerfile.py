"""Dockerfiles / Containerfiles: base images, pip install lines, --no-deps, replacement notes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compataudit.cli.app import main
from compataudit.errors import InputError
from compataudit.inputs import read_stack_file
from compataudit.inputs.images import describe_image

DOCKER = Path(__file__).parent.parent / "fixtures" / "inputs" / "docker"


def _pins(path: Path) -> dict[str, tuple[str, int]]:
    return {p.name: (p.version, int(p.where.rsplit(":", 1)[1])) for p in read_stack_file(str(path)).pins}


def _codes(path: Path, *extra: str, capsys: pytest.CaptureFixture[str]) -> list[tuple[str, int | None]]:
    with pytest.raises(SystemExit):
        main(["check", "--no-probe", "-r", str(path), "-f", "sarif", *extra])
    results = json.loads(capsys.readouterr().out)["runs"][0]["results"]
    return [
        (r["ruleId"], r["locations"][0].get("physicalLocation", {}).get("region", {}).get("startLine"))
        for r in results
    ]


def test_multi_stage_arg_base_and_no_deps() -> None:
    """ARG-named pytorch/pytorch base, a --no-deps torchvision for another torch, -r in context."""
    stack = read_stack_file(str(DOCKER / "Dockerfile"))
    pins = _pins(DOCKER / "Dockerfile")
    assert pins["torch"] == ("2.4.1", 3)  # the FROM line
    assert pins["torchvision"] == ("0.20.1", 12)  # its own line of the continued RUN
    assert pins["numpy"] == ("1.26.4", 16)  # inherited stage + `python -m pip`
    assert pins["timm"][0] == "1.0.9"  # from requirements.txt next to the Dockerfile
    torch = next(p for p in stack.pins if p.name == "torch")
    assert torch.build is not None and (torch.build.cuda, torch.build.cudnn) == ("12.1", "9")
    assert not any("replace" in n for n in stack.notes)  # --no-deps: pip leaves torch alone
    assert [w.text for w in stack.wants] == ["einops"]  # no version: resolved when audited


def test_base_image_and_pip_line_disagree(capsys: pytest.CaptureFixture[str]) -> None:
    assert ("TCH001", 3) in _codes(DOCKER / "Dockerfile", capsys=capsys)


def test_pip_install_over_the_base_framework_is_said() -> None:
    stack = read_stack_file(str(DOCKER / "Dockerfile.pip-over-base"))
    assert _pins(DOCKER / "Dockerfile.pip-over-base")["torch"] == ("2.5.1", 4)
    (note,) = stack.notes
    assert note.endswith(
        "Dockerfile.pip-over-base:4: pip install torch replaces the base image's torch "
        "(2.3.1) with the package index's build"
    )
    # the image's CUDA 12.1 build facts no longer describe the torch pip installs
    torch = next(p for p in stack.pins if p.name == "torch")
    assert torch.build is None


def test_companion_without_no_deps_may_replace_the_framework() -> None:
    stack = read_stack_file(str(DOCKER / "Dockerfile.tf"))
    assert any("tf-keras without --no-deps may replace the base image's tensorflow" in n for n in stack.notes)


def test_tensorflow_on_nvidia_cuda_base(capsys: pytest.CaptureFixture[str]) -> None:
    stack = read_stack_file(str(DOCKER / "Containerfile.gpu"))
    assert (stack.kind, stack.system_cuda, stack.system_cudnn) == ("Dockerfile", "12.1", "8")
    assert ("KER001", 3) in _codes(DOCKER / "Containerfile.gpu", capsys=capsys)


def test_heredoc_and_python_base(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "Dockerfile").write_text(
        "FROM python:3.12-slim-bookworm\nRUN <<EOF\nset -e\n"
        "pip install torch==2.1.0 torchvision==0.16.0\nEOF\n"
    )
    stack = read_stack_file(str(tmp_path / "Dockerfile"))
    assert stack.python == "3.12"
    assert _pins(tmp_path / "Dockerfile") == {"torch": ("2.1.0", 4), "torchvision": ("0.16.0", 4)}
    assert ("PY001", 4) in _codes(tmp_path / "Dockerfile", capsys=capsys)


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("python:3.11", {"python": "3.11"}),
        ("docker.io/library/python:3.10.14-bookworm", {"python": "3.10.14"}),
        ("pytorch/pytorch:2.5.1-cuda12.4-cudnn9-devel", {"framework": "torch"}),
        ("tensorflow/tensorflow:2.15.0-gpu", {"framework": "tensorflow"}),
        ("nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04", {"system_cuda": "12.4", "system_cudnn": None}),
        ("nvidia/cuda:11.8.0-base-ubuntu22.04", {"system_cuda": "11.8"}),
        ("nvcr.io/nvidia/pytorch:24.07-py3", {"ngc": ("pytorch", "24.07"), "framework": "torch"}),
        ("nvcr.io/nvidia/tensorflow:23.10-tf2-py3", {"ngc": ("tensorflow", "23.10")}),
        ("ubuntu:22.04@sha256:abc", {"python": None, "pins": ()}),
    ],
)
def test_base_images(reference: str, expected: dict[str, object]) -> None:
    image = describe_image(reference, "Dockerfile:1")
    for key, value in expected.items():
        assert getattr(image, key) == value


@pytest.mark.parametrize("reference", ["python:latest", "pytorch/pytorch:latest", "tensorflow/tensorflow"])
def test_untagged_images_are_said_not_guessed(reference: str) -> None:
    image = describe_image(reference, "Dockerfile:1")
    assert image.pins == () and image.python is None and image.note and "not audited" in image.note


def test_not_a_dockerfile(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("RUN pip install torch\n")
    with pytest.raises(InputError, match="no FROM instruction"):
        read_stack_file(str(tmp_path / "Dockerfile"))


@pytest.mark.parametrize(
    ("tag", "torch", "cudnn"),
    [("1.2-cuda10.0-cudnn7-runtime", "1.2", "7"), ("1.1.0-cuda10.0-cudnn7.5-runtime", "1.1.0", "7.5")],
)
def test_older_pytorch_tags(tag: str, torch: str, cudnn: str) -> None:
    (pin,) = describe_image(f"pytorch/pytorch:{tag}", "Dockerfile:1").pins
    assert pin.version == torch and pin.build is not None and pin.build.cudnn == cudnn


def test_requirements_copied_elsewhere_and_a_pin_the_base_already_has(tmp_path: Path) -> None:
    """`COPY requirements.txt /tmp/` + `pip install -r /tmp/requirements.txt`; torch==1.2.0 on 1.2."""
    (tmp_path / "requirements.txt").write_text("torch==1.2.0\ntorchvision==0.4.0\n")
    (tmp_path / "Dockerfile").write_text(
        "FROM pytorch/pytorch:1.2-cuda10.0-cudnn7-runtime\nADD requirements.txt /tmp/\n"
        "RUN pip install --upgrade pip && \\\n    pip install --no-cache-dir -r /tmp/requirements.txt\n"
    )
    stack = read_stack_file(str(tmp_path / "Dockerfile"))
    assert {p.name: p.version for p in stack.pins} == {"torch": "1.2", "torchvision": "0.4.0"}
    torch = next(p for p in stack.pins if p.name == "torch")
    assert torch.build is not None and torch.build.cuda == "10.0"  # the image's build stays
    assert not any("replace" in n for n in stack.notes)


def test_pytorch_index_url_picks_the_variant(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`--index-url …/whl/cu118`: pip installs 2.1.2+cu118, not PyPI's default (CUDA 12.1) build."""
    (tmp_path / "Dockerfile").write_text(
        "FROM python:3.10-slim\nRUN pip install --no-cache-dir \\\n    torch==2.1.2 \\\n"
        "    torchvision==0.16.2 \\\n    --index-url https://download.pytorch.org/whl/cu118\n"
    )
    assert _pins(tmp_path / "Dockerfile") == {"torch": ("2.1.2+cu118", 3), "torchvision": ("0.16.2+cu118", 4)}
    codes = _codes(tmp_path / "Dockerfile", "--driver", "470.82.01", "--gpu-cc", "8.6", capsys=capsys)
    assert "DRV001" not in {c for c, _ in codes}  # CUDA 11.8 runs on 470 (minor-version compatibility)


def test_notes_reach_github_and_markdown(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(DOCKER / "Dockerfile.tf")
    with pytest.raises(SystemExit):
        main(["check", "--no-probe", "-r", path, "-f", "github"])
    notices = [x for x in capsys.readouterr().out.splitlines() if x.startswith("::notice")]
    assert any("Dockerfile.tf,line=3::pip install tf-keras without --no-deps" in x for x in notices)
    with pytest.raises(SystemExit):
        main(["check", "--no-probe", "-r", path, "-f", "markdown"])
    markdown = capsys.readouterr().out
    assert "## Notes" in markdown and "may replace the base image's tensorflow" in markdown
