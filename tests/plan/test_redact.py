from __future__ import annotations

import json
from dataclasses import replace

import pytest

from compataudit.audit import make_report
from compataudit.model import (
    Environment,
    Finding,
    ProbeAttempt,
    ProbeStatus,
    Severity,
    SmokeResult,
    SmokeStatus,
    to_jsonable,
)
from compataudit.plan.redact import redact_environment, redact_report
from tests.plan.plan_helpers import real_env, with_gpus

HOST = "gpu-node-017.cluster.example.org"


def alice_env() -> Environment:
    """The real snapshot as if taken by user alice on a GPU node of a cluster."""
    env = real_env()
    home = "/home/alice/projects/vision/.venv"
    recorded = env.python.prefix or ""  # wherever the fixture snapshot was taken
    assert recorded

    def move(path: str | None) -> str | None:
        return path.replace(recorded, home) if path else path

    env = replace(
        env,
        python=replace(env.python, executable=move(env.python.executable), prefix=move(env.python.prefix)),
        platform=replace(env.platform, hostname=HOST),
        packages=tuple(replace(p, location=move(p.location)) for p in env.packages),
        builds=tuple(replace(b, source=move(b.source)) for b in env.builds),
        env_vars=(
            ("CUDA_VISIBLE_DEVICES", "GPU-00000000-1c3a-4b2d-9e8f-0a1b2c3d4e5f"),
            ("LD_LIBRARY_PATH", "/scratch/alice/cudnn/lib:/usr/local/cuda/lib64"),
            ("XLA_FLAGS", "--xla_dump_to=/mnt/home/alice/dumps"),
        ),
    )
    env = with_gpus(
        env, "550.54.14", "12.4", ("NVIDIA A100-SXM4-80GB", "8.0"), ("NVIDIA A100-SXM4-80GB", "8.0")
    )
    attempt = ProbeAttempt(
        "nvidia-smi", ProbeStatus.ERROR, f"nvidia-smi on {HOST.split('.')[0]}: GPU 00000000:17:00.0 fell off"
    )
    return replace(env, nvidia=replace(env.nvidia, attempts=(attempt,)))


def dump(value: object) -> str:
    return json.dumps(to_jsonable(value))


@pytest.mark.parametrize(
    "secret",
    [
        "alice",
        HOST,
        "gpu-node-017",
        "GPU-00000000-1c3a",
        "1c3a-4b2d-9e8f",
        "1324000000000",
        "/home/",
    ],
)
def test_identities_are_gone(secret: str) -> None:
    assert secret in dump(alice_env())  # the fixture really carries it
    assert secret not in dump(redact_environment(alice_env()))


def test_paths_keep_their_shape() -> None:
    red = redact_environment(alice_env())
    assert red.python.executable == "~/projects/vision/.venv/bin/python"
    assert red.env_var("LD_LIBRARY_PATH") == "/scratch/<user>/cudnn/lib:/usr/local/cuda/lib64"
    assert red.env_var("XLA_FLAGS") == "--xla_dump_to=~/dumps"
    assert red.env_var("CUDA_VISIBLE_DEVICES") == "GPU-<uuid>"
    assert red.platform.hostname is None
    assert red.nvidia.attempts[0].detail == "nvidia-smi on <host>: GPU 00000000:17:00.0 fell off"


def test_compatibility_facts_are_kept() -> None:
    env = alice_env()
    red = redact_environment(env)
    assert [(p.name, p.version, p.requires) for p in red.packages] == [
        (p.name, p.version, p.requires) for p in env.packages
    ]
    assert red.builds == tuple(
        replace(b, source=b.source.replace("/home/alice", "~") if b.source else None) for b in env.builds
    )
    assert [(g.name, g.compute_capability, g.pci_bus_id) for g in red.nvidia.gpus] == [
        (g.name, g.compute_capability, g.pci_bus_id) for g in env.nvidia.gpus
    ]
    assert (red.nvidia.driver_version, red.python.version, red.platform) == (
        env.nvidia.driver_version,
        env.python.version,
        replace(env.platform, hostname=None),
    )


def test_pci_ids_dropped_on_request() -> None:
    red = redact_environment(alice_env(), drop_pci=True)
    assert all(g.pci_bus_id is None for g in red.nvidia.gpus)
    assert "00000000:17:00.0" not in dump(red)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/home/bob/x", "~/x"),
        ("/Users/bob/miniconda3/envs/tf", "~/miniconda3/envs/tf"),
        ("/root/.local/lib", "~/.local/lib"),
        ("C:\\Users\\bob\\venv\\Lib", "~\\venv\\Lib"),
        ("/opt/conda/lib/python3.11", "/opt/conda/lib/python3.11"),
        ("/rootfs/lib", "/rootfs/lib"),
    ],
)
def test_home_forms(path: str, expected: str) -> None:
    env = replace(real_env(), python=replace(real_env().python, executable=path))
    assert redact_environment(env).python.executable == expected


def test_short_user_names_do_not_mangle_text() -> None:
    # a user "cu" must not turn "cu124" or "cuda" into "<user>124"
    env = replace(
        real_env(),
        python=replace(real_env().python, executable="/home/cu/bin/python"),
        env_vars=(("PIP_EXTRA_INDEX_URL", "https://download.pytorch.org/whl/cu124"),),
    )
    red = redact_environment(env)
    assert red.env_var("PIP_EXTRA_INDEX_URL") == "https://download.pytorch.org/whl/cu124"


def test_report_findings_and_smoke_are_redacted() -> None:
    env = alice_env()
    findings = [
        Finding(
            code="PKG004",
            severity=Severity.ERROR,
            title="torch is broken",
            detail="/home/alice/projects/vision/.venv/lib/torch missing on " + HOST,
            components=("torch",),
            fix="pip install --force-reinstall --no-deps torch==2.13.0",
        )
    ]
    smoke = [
        SmokeResult(
            framework="torch",
            device="cuda:0",
            status=SmokeStatus.CRASH,
            detail="SIGSEGV in /home/alice/projects/vision/.venv/lib/libtorch.so",
        )
    ]
    red = redact_report(make_report(env, findings, smoke))
    text = dump(red)
    assert "alice" not in text and HOST not in text
    assert red.findings[0].detail == "~/projects/vision/.venv/lib/torch missing on <host>"
    assert red.findings[0].fix == findings[0].fix
    assert red.summary == make_report(env, findings, smoke).summary


def test_redaction_is_idempotent() -> None:
    once = redact_environment(alice_env())
    assert redact_environment(once) == once


def test_checks_give_the_same_findings_after_redaction() -> None:
    from compataudit.checks import CheckContext, run_checks
    from compataudit.compat.matrices import load_matrices

    matrices = load_matrices()
    env = alice_env()

    def verdict(e: Environment) -> list[tuple[str, str, tuple[str, ...]]]:
        found = run_checks(CheckContext(env=e, matrices=matrices))
        return sorted((f.code, f.severity.value, f.components) for f in found)

    assert verdict(env)  # the fixture does trigger findings (CPU builds beside GPUs)
    assert verdict(redact_environment(env)) == verdict(env)


def _relocated(env: Environment, home: str) -> Environment:
    recorded = env.python.prefix or ""
    return replace(
        env,
        python=replace(env.python, prefix=env.python.prefix and env.python.prefix.replace(recorded, home)),
        packages=tuple(replace(p, location=(p.location or "").replace(recorded, home)) for p in env.packages),
        env_vars=(("WORKDIR", "/scratch/bob7/run"), ("NOTE", "ran on buildbox42 by bob7")),
    )


def test_this_users_home_and_name_go_wherever_they_are(monkeypatch: pytest.MonkeyPatch) -> None:
    """HOME outside /home or /Users (/data/u/bob7): removed by value, as is the user name."""
    monkeypatch.setenv("HOME", "/data/u/bob7")
    monkeypatch.setenv("USER", "bob7")
    monkeypatch.setattr("socket.gethostname", lambda: "buildbox42.lab.example.org")
    text = dump(redact_environment(_relocated(real_env(), "/data/u/bob7/venv")))
    assert "bob7" not in text and "/data/u" not in text and "buildbox42" not in text
    assert "~/venv" in text


def test_gpu_uuids_and_serials_go_wherever_they_are() -> None:
    env = with_gpus(real_env(), "550.54.14", "12.4", ("NVIDIA A100-SXM4-80GB", "8.0"))
    gpu = replace(env.nvidia.gpus[0], uuid="GPU-5a1c", serial="1324019012345")
    env = replace(
        env,
        nvidia=replace(env.nvidia, gpus=(gpu,)),
        env_vars=(("NODE", "serial=1324019012345 gpu=GPU-5a1c"),),
    )
    text = dump(redact_environment(env))
    assert "1324019012345" not in text and "GPU-5a1c" not in text
