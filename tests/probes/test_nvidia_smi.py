"""nvidia-smi parsing against recorded real outputs, and the probe against fake binaries."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from compataudit.model import ProbeStatus
from compataudit.probes.nvidia_smi import (
    QUERY_FIELDS,
    parse_banner,
    parse_query_csv,
    probe_nvidia_smi,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "nvidia_smi"


@pytest.mark.parametrize(
    ("fixture", "driver", "cuda"),
    [
        ("r610-b200.txt", "610.43.02", "13.3"),  # R610: KMD Version / CUDA UMD Version
        ("r610-rtx5070ti-a40.txt", "610.43.02", "13.3"),
        ("r595-b200.txt", "595.71.05", "13.2"),  # wide banner of 2023+
        ("r570-b200-banner.txt", "570.133.20", "12.8"),
        ("container-old-smi.txt", "580.95.05", "13.0"),  # old nvidia-smi binary, newer driver
        ("r331-no-cuda.txt", "331.62", None),  # banners before ~410 name no CUDA version
        ("q-450-gtx780.txt", "450.66", "11.0"),  # `nvidia-smi -q`
        ("q-580-cuda-not-found.txt", "580.105.06", None),  # "CUDA Version : Not Found"
        ("error-version-mismatch.txt", None, None),
        ("error-no-driver.txt", None, None),
    ],
)
def test_parse_banner(fixture: str, driver: str | None, cuda: str | None) -> None:
    assert parse_banner((FIXTURES / fixture).read_text()) == (driver, cuda)


def test_banner_takes_driver_not_smi_binary_version() -> None:
    # The container ships nvidia-smi 470 but the kernel driver is 580.
    driver, _ = parse_banner((FIXTURES / "container-old-smi.txt").read_text())
    assert driver == "580.95.05"


def test_parse_query_csv_b200() -> None:
    gpus, driver = parse_query_csv((FIXTURES / "query-b200.csv").read_text())
    assert driver == "610.43.02"
    assert [(g.index, g.name, g.compute_capability, g.memory_total_mib, g.mig_mode) for g in gpus] == [
        (0, "NVIDIA B200", "10.0", 183359, "disabled"),
        (1, "NVIDIA B200", "10.0", 183359, "disabled"),
    ]
    assert gpus[0].uuid is None  # "[N/A]" is missing, not a UUID
    assert gpus[1].pci_bus_id == "00000000:68:00.0"


def test_parse_query_names_with_spaces_and_commas_in_quotes() -> None:
    text = (
        '0, "NVIDIA RTX PRO 6000 Blackwell Server Edition", GPU-8b89, 00000000:01:00.0, '
        "97887, 12.0, Enabled, 610.43.02\n"
    )
    gpus, _ = parse_query_csv(text)
    assert gpus[0].name == "NVIDIA RTX PRO 6000 Blackwell Server Edition"
    assert gpus[0].mig_mode == "enabled"


@pytest.mark.parametrize("text", ["garbage\n", "0, only, three\n", "x, a, b, c, d, e, f, g\n"])
def test_parse_query_rejects_garbage(text: str) -> None:
    with pytest.raises(ValueError):
        parse_query_csv(text)


def test_parse_query_requires_the_index_column() -> None:
    # `--query-gpu=compute_cap --format=csv` as recorded: header + one value.
    lines = (FIXTURES / "query-compute-cap.csv").read_text().splitlines()
    with pytest.raises(ValueError):
        parse_query_csv(lines[1] + "\n", ("compute_cap",))


def _fake_smi(tmp_path: Path, body: str) -> dict[str, str]:
    script = tmp_path / "nvidia-smi"
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    env = dict(os.environ)
    env["PATH"] = f"{tmp_path}{os.pathsep}{env.get('PATH', '')}"
    return env


def _with_path(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    monkeypatch.setenv("PATH", env["PATH"])


def test_probe_reads_query_and_banner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    body = f"""case "$1" in
  --query-gpu=*) cat {FIXTURES / "query-b200.csv"} ;;
  *) cat {FIXTURES / "r610-b200.txt"} ;;
esac
"""
    _with_path(monkeypatch, _fake_smi(tmp_path, body))
    attempt, facts = probe_nvidia_smi(timeout=10)
    assert attempt.status is ProbeStatus.OK
    assert facts is not None
    assert (facts.driver_version, facts.cuda_driver_version) == ("610.43.02", "13.3")
    assert len(facts.gpus) == 2


def test_probe_retries_without_compute_cap_on_old_drivers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 470-era nvidia-smi rejects compute_cap; the probe asks again with fewer fields.
    body = f"""case "$1" in
  --query-gpu=*compute_cap*) cat {FIXTURES / "error-compute-cap-field.txt"}; exit 2 ;;
  --query-gpu=*) echo "0, NVIDIA A10, GPU-1, 00000000:01:00.0, 23028, 525.85.12" ;;
  *) echo "| NVIDIA-SMI 525.85.12    Driver Version: 525.85.12    CUDA Version: 12.0     |" ;;
esac
"""
    _with_path(monkeypatch, _fake_smi(tmp_path, body))
    attempt, facts = probe_nvidia_smi(timeout=10)
    assert attempt.status is ProbeStatus.OK
    assert facts is not None and facts.gpus[0].name == "NVIDIA A10"
    assert facts.gpus[0].compute_capability is None
    assert facts.cuda_driver_version == "12.0"


def test_probe_hanging_nvidia_smi_times_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _with_path(monkeypatch, _fake_smi(tmp_path, "sleep 30\n"))
    attempt, facts = probe_nvidia_smi(timeout=0.5)
    assert attempt.status is ProbeStatus.TIMEOUT and facts is None
    assert "did not answer" in (attempt.detail or "")


def test_probe_garbage_output_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _with_path(monkeypatch, _fake_smi(tmp_path, "echo 'something completely different'\n"))
    attempt, facts = probe_nvidia_smi(timeout=5)
    assert attempt.status is ProbeStatus.ERROR and facts is None
    assert "unrecognised" in (attempt.detail or "")


def test_probe_failing_driver_reports_its_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    body = f"cat {FIXTURES / 'error-version-mismatch.txt'}; exit 18\n"
    _with_path(monkeypatch, _fake_smi(tmp_path, body))
    attempt, facts = probe_nvidia_smi(timeout=5)
    assert attempt.status is ProbeStatus.ERROR and facts is None
    assert "Driver/library version mismatch" in (attempt.detail or "")


def test_probe_missing_binary_is_absent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    attempt, facts = probe_nvidia_smi(timeout=5)
    assert attempt.status is ProbeStatus.ABSENT and facts is None


def test_query_fields_include_what_the_checks_need() -> None:
    assert {"compute_cap", "driver_version", "mig.mode.current", "memory.total"} <= set(QUERY_FIELDS)


@pytest.mark.parametrize(
    ("body", "seen"),
    [
        ("exit 0\n", "exited 0 but printed nothing"),
        ("printf '\\n  \\n'\n", "exited 0 but printed nothing"),
        ("printf '\\000\\377\\376ELF\\001'\n", "printed binary data, not CSV: '\\x00"),
        ("echo '0, NVIDIA A100, GPU-1'\n", "expected 8 columns, got 3: '0,NVIDIA A100,GPU-1'"),
        (
            "echo '0, NVIDIA A100, GPU-1, 00000000:01:00.0, 81920, eight, Disabled, 550.54.14'\n",
            "compute capability 'eight'",
        ),
        ("echo '0, \"NVIDIA A100, GPU-1'\n", "expected 8 columns"),  # unterminated quote
    ],
)
def test_probe_unusable_answers_say_what_was_seen(
    body: str, seen: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _with_path(monkeypatch, _fake_smi(tmp_path, body))
    attempt, facts = probe_nvidia_smi(timeout=5)
    assert attempt.status is ProbeStatus.ERROR and facts is None  # never "ok, 0 GPUs"
    assert seen in (attempt.detail or "")


def test_an_unreadable_directory_on_path_is_not_a_failing_nvidia_smi(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0)
    try:
        monkeypatch.setenv("PATH", f"{locked}{os.pathsep}{tmp_path / 'empty'}")
        attempt, facts = probe_nvidia_smi(timeout=5)
    finally:
        locked.chmod(0o755)
    assert attempt.status is ProbeStatus.ABSENT and facts is None


def test_a_probe_that_is_refused_access_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from compataudit.probes import probe_nvidia

    def refused() -> object:
        raise PermissionError(13, "Permission denied", "/dev/nvidiactl")

    monkeypatch.setattr("compataudit.probes.nvml.probe_nvml", refused)
    monkeypatch.setenv("PATH", str(tmp_path))
    info = probe_nvidia(timeout=10)
    assert info.attempts[0].status is ProbeStatus.ERROR
    assert info.attempts[0].detail == "nvml: permission denied (/dev/nvidiactl)"
