"""The fault catalogue: the real CLI entry point under faults of eight kinds.

Every case asserts the contract of a professional tool: no traceback, the
documented exit code, valid JSON under ``--format json`` (the error document of
the report schema on exit 2), no process left behind (the test process is the
child subreaper while a case runs, so an escaped descendant would show up as our
child), and the user's files unchanged. Kinds: 1 process lifecycle, 2 the JSON
contract, 3 input files, 4 probe faults, 5 version semantics, 6 GPU visibility,
7 outputs, 8 hostile environments. Cases run in-process (fast); the signal cases
run the CLI as a real subprocess, since a signal must reach a real process.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from compataudit import lifecycle
from compataudit.cli.app import main
from compataudit.formats.schema import schema_text
from compataudit.model import (
    BuildInfo,
    Environment,
    Gpu,
    NvidiaInfo,
    Package,
    PlatformInfo,
    ProbeStatus,
    PythonInfo,
)
from compataudit.sources.snapshot import dump_snapshot
from tests.test_lifecycle import alive

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux process model")

REPO = Path(__file__).resolve().parents[1]
FAKES = REPO / "tests" / "fixtures" / "fake_frameworks"
MATRICES = REPO / "matrices"
TRACEBACK = REPO / "tests" / "fixtures" / "tracebacks" / "t17_not_compiled_with_cuda.txt"
SCHEMA = json.loads(schema_text())
Setup = Callable[[Path, pytest.MonkeyPatch], None]


@dataclass(frozen=True)
class Case:
    id: str
    kind: int
    args: tuple[str, ...]
    code: int | tuple[int, ...]
    says: str = ""  # expected in stdout + stderr
    setup: Setup | None = None
    writes: tuple[str, ...] = ()  # files the run is meant to create or replace
    check: Callable[[Any, Path], object] | None = None  # more asserts on the JSON (or the text)
    env: dict[str, str] = field(default_factory=dict)


# --------------------------------------------------------------------------- setups


def fake_smi(body: str) -> Setup:
    """An nvidia-smi on PATH that runs ``body`` (and nothing else there to find)."""

    def setup(root: Path, mp: pytest.MonkeyPatch) -> None:
        bin_dir = root / "bin"
        bin_dir.mkdir(exist_ok=True)
        script = bin_dir / "nvidia-smi"
        script.write_text("#!/bin/sh\n" + body)
        script.chmod(0o755)
        mp.setenv("PATH", f"{bin_dir}{os.pathsep}/usr/bin{os.pathsep}/bin")

    return setup


def fake_framework(scenario: str, **extra: str) -> Setup:
    def setup(root: Path, mp: pytest.MonkeyPatch) -> None:
        mp.setenv("PYTHONPATH", str(FAKES / scenario))
        mp.setenv("FAKE_HANG_PIDFILE", str(root.parent / f"{root.name}.pids"))
        for key, value in extra.items():
            mp.setenv(key, value)

    return setup


def write(name: str, text: str | bytes) -> Setup:
    def setup(root: Path, mp: pytest.MonkeyPatch) -> None:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text)

    return setup


def both(*setups: Setup) -> Setup:
    def setup(root: Path, mp: pytest.MonkeyPatch) -> None:
        for one in setups:
            one(root, mp)

    return setup


def site_packages(*dists: tuple[str, str], editable: bool = False, module: bool = True) -> Setup:
    """A site-packages first on sys.path holding ``dists`` (name, version)."""

    def setup(root: Path, mp: pytest.MonkeyPatch) -> None:
        site = root / "site"
        for name, version in dists:
            info = site / f"{name}-{version}.dist-info"
            info.mkdir(parents=True)
            (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\n")
            if editable:
                (info / "direct_url.json").write_text(
                    '{"url": "file:///src", "dir_info": {"editable": true}}'
                )
            if module:
                (site / name).mkdir(exist_ok=True)
                (site / name / "__init__.py").write_text("")
        mp.syspath_prepend(str(site))

    return setup


def snapshot_with_gpus(visible: str | None) -> Setup:
    """A snapshot: torch cu124 built for sm_75..sm_90, a Kepler K80 beside an Ada L4."""
    env = Environment(
        python=PythonInfo("3.11.7"),
        platform=PlatformInfo("Linux", "x86_64"),
        packages=(Package("torch", "2.5.1+cu124", "/site"),),
        nvidia=NvidiaInfo(
            status=ProbeStatus.OK,
            source="nvml",
            driver_version="560.35.03",
            cuda_driver_version="12.6",
            gpus=(
                Gpu(0, "Tesla K80", "GPU-11111111-aaaa", "3.7"),
                Gpu(1, "NVIDIA L4", "GPU-22222222-bbbb", "8.9"),
            ),
            visible_devices=visible,
        ),
        builds=(
            BuildInfo(
                "torch", "torch", "2.5.1+cu124", cuda="12.4", archs=("sm_75", "sm_80", "sm_89", "sm_90")
            ),
        ),
        env_vars=(("CUDA_DEVICE_ORDER", "PCI_BUS_ID"),),
        origin="probe",
    )
    return write("snap.json", dump_snapshot(env))


def refused(target: str) -> Setup:
    def setup(root: Path, mp: pytest.MonkeyPatch) -> None:
        def raise_permission(*args: object, **kwargs: object) -> object:
            raise PermissionError(13, "Permission denied", "/usr/local/cuda/include")

        mp.setattr(target, raise_permission)

    return setup


def locked_path_dir(root: Path, mp: pytest.MonkeyPatch) -> None:
    locked = root / "locked"
    locked.mkdir()
    locked.chmod(0)
    mp.setenv("PATH", f"{locked}{os.pathsep}/usr/bin{os.pathsep}/bin")


def home_matrices(root: Path, mp: pytest.MonkeyPatch) -> None:
    shutil.copytree(MATRICES, root / "home" / "m")
    (root / "home" / "x.toml").write_text('fail-on = "never"\nmatrices = "~/m"\n')


def existing_report(mode: int) -> Setup:
    def setup(root: Path, mp: pytest.MonkeyPatch) -> None:
        (root / "out.json").write_text("{}")
        (root / "out.json").chmod(mode)

    return setup


# --------------------------------------------------------------------------- checks


def codes(doc: Any) -> set[str]:
    return {f["code"] for f in doc["findings"]}


def has(*wanted: str) -> Callable[[Any, Path], None]:
    def check(doc: Any, root: Path) -> None:
        assert set(wanted) <= codes(doc), codes(doc)

    return check


def lacks(*unwanted: str) -> Callable[[Any, Path], None]:
    def check(doc: Any, root: Path) -> None:
        assert not set(unwanted) & codes(doc), codes(doc)

    return check


def prb001_says(text: str) -> Callable[[Any, Path], None]:
    def check(doc: Any, root: Path) -> None:
        titles = [f["title"] for f in doc["findings"] if f["code"] == "PRB001"]
        assert any(text in t for t in titles), titles

    return check


def smoke_status(status: str, detail: str = "") -> Callable[[Any, Path], None]:
    def check(doc: Any, root: Path) -> None:
        (result,) = [r for r in doc["smoke"] if r["framework"] == "torch"]
        assert result["status"] == status and detail in (result["detail"] or ""), result

    return check


def file_mode(name: str, mode: int) -> Callable[[Any, Path], None]:
    def check(doc: Any, root: Path) -> None:
        assert stat.S_IMODE((root / name).stat().st_mode) == mode
        assert json.loads((root / name).read_text())["schema_version"] == 1
        assert [p.name for p in root.iterdir() if p.name.startswith(".out")] == []  # no temp file

    return check


def fix_mentions(text: str) -> Callable[[Any, Path], None]:
    def check(doc: Any, root: Path) -> None:
        fixes = [f["fix"] or "" for f in doc["findings"] if f["code"].startswith("SMK")]
        assert any(text in fix for fix in fixes), fixes

    return check


J = ("-f", "json")
STATIC = ("check", "--no-smoke", "--fail-on", "never", *J)
WHAT_IF = ("check", "--no-probe", "--python", "3.11", *J)
SMOKE = ("smoke", "--framework", "torch", *J)
HANG = fake_framework("hang", FAKE_HANG_SETSID="1")

CASES = [
    # ------------------------------------------------------------ 1 process lifecycle
    Case(
        "hang-with-setsid-helper",
        1,
        (*SMOKE, "--smoke-timeout", "2"),
        1,
        "SMK004",
        HANG,
        check=smoke_status("timeout", "no result after 2 s"),
    ),
    Case(
        "kernel-exits-leaving-helpers",
        1,
        (*SMOKE, "--smoke-timeout", "30"),
        1,
        "SMK002",
        fake_framework("hang", FAKE_HANG_SETSID="1", FAKE_HANG_EXIT="1"),
        check=smoke_status("error", "exit status 3"),
    ),
    Case(
        "kernel-segfaults",
        1,
        SMOKE,
        1,
        "SMK003",
        fake_framework("crash"),
        check=smoke_status("crash", "killed by SIGSEGV"),
    ),
    Case(
        "kernel-aborts",
        1,
        SMOKE,
        1,
        "SMK003",
        fake_framework("crash", FAKE_SIGNAL="SIGABRT"),
        check=smoke_status("crash", "killed by SIGABRT"),
    ),
    Case(
        "kernel-prints-garbage",
        1,
        SMOKE,
        1,
        "SMK002",
        fake_framework("garbage"),
        check=smoke_status("error", "malformed JSON"),
    ),
    Case(
        "kernel-import-error",
        1,
        SMOKE,
        1,
        "SMK002",
        fake_framework("importerror"),
        check=smoke_status("error", "libcudart.so.12"),
    ),
    Case(
        "check-with-hanging-kernel",
        1,
        ("check", "--fail-on", "never", "--smoke-timeout", "2", "--framework", "torch", *J),
        1,
        "SMK004",
        HANG,
    ),
    # ------------------------------------------------------------ 2 the JSON contract
    Case("bad-option-value", 2, ("check", "--fail-on", "bogus", *J), 2, "--fail-on"),
    Case("unknown-option", 2, ("check", "--bogus", *J), 2, "No such option: --bogus"),
    Case("format-equals-form", 2, ("check", "--format=json", "--bogus"), 2, "No such option"),
    Case("format-short-glued", 2, ("check", "-fjson", "--bogus"), 2, "No such option"),
    Case("format-from-env", 2, ("check", "--bogus"), 2, "No such option", env={"COMPATAUDIT_FORMAT": "json"}),
    Case("not-a-number", 2, ("check", "--smoke-timeout", "abc", *J), 2, "not a valid float"),
    Case("unknown-framework", 2, ("check", "--framework", "caffe", *J), 2, "unknown framework 'caffe'"),
    Case("missing-snapshot", 2, ("check", "--snapshot", "nope.json", *J), 2, "no such file"),
    Case(
        "malformed-snapshot",
        2,
        ("check", "--snapshot", "s.json", *J),
        2,
        "not valid JSON",
        write("s.json", '{"python": '),
    ),
    Case(
        "snapshot-not-an-object",
        2,
        ("check", "--snapshot", "s.json", *J),
        2,
        "expected a JSON object",
        write("s.json", "[1, 2]"),
    ),
    Case("missing-requirements", 2, (*WHAT_IF, "-r", "nope.txt"), 2, "no such file"),
    Case("bad-pin", 2, (*WHAT_IF, "--pin", "torch==not-a-version"), 2, "not a valid version"),
    Case("bad-python", 2, ("check", "--no-probe", "--python", "three", *J), 2, "--python 'three'"),
    Case("bad-driver", 2, (*WHAT_IF, "--driver", "banana"), 2, "--driver"),
    Case("bad-gpu-cc", 2, (*WHAT_IF, "--gpu-cc", "eight"), 2, "--gpu-cc"),
    Case("missing-matrices", 2, ("check", "--no-smoke", "--matrices", "nowhere", *J), 2, "nowhere"),
    Case("smoke-unknown-framework", 2, ("smoke", "--framework", "nope", *J), 2, "unknown framework"),
    Case("lint-missing-path", 2, ("lint", "nope.py", *J), 2, "nope.py"),
    Case("lint-unknown-option", 2, ("lint", "x.py", "--bogus", *J), 2, "No such option"),
    Case("explain-missing-file", 2, ("explain", "nope.txt", "--no-probe", *J), 2, "no such file"),
    Case("explain-a-directory", 2, ("explain", ".", "--no-probe", *J), 2, "is a directory"),
    Case("diff-missing-argument", 2, ("diff", *J), 2, "Missing argument"),
    Case("diff-missing-files", 2, ("diff", "a.json", "b.json", *J), 2, "no such file"),
    Case(
        "fleet-no-readable-snapshot",
        2,
        ("fleet", "x.json", *J),
        2,
        "no readable snapshot",
        write("x.json", "garbage"),
    ),
    Case("suggest-bad-python", 2, ("suggest", "--no-probe", "--python", "three", *J), 2, "--python"),
    Case("rules-unknown-option", 2, ("rules", *J, "--x"), 2, "No such option"),
    # ------------------------------------------------------------ 3 input files
    Case(
        "explain-latin1-file",
        3,
        ("explain", "err.txt", "--no-probe", *J),
        0,
        setup=write("err.txt", TRACEBACK.read_bytes() + b"\n# caf\xe9 \xff\n"),
        check=lambda doc, root: doc["diagnoses"] or pytest.fail("the traceback was lost"),
    ),
    Case(
        "explain-binary-file",
        3,
        ("explain", "blob", "--no-probe", *J),
        0,
        "no known error signature",
        write("blob", b"\x7fELF\x00\x01\xff\xfe" * 64),
    ),
    Case(
        "config-in-home",
        3,
        ("check", "--no-probe", "--python", "3.11", "--pin", "torch==1.0.0", "--config", "~/x.toml", *J),
        0,
        setup=home_matrices,
    ),
    Case(
        "config-missing-in-home",
        3,
        ("check", "--no-probe", "--config", "~/none.toml", *J),
        2,
        "--config ~/none.toml: no such file",
    ),
    Case(
        "pyproject-invalid-toml",
        3,
        ("check", "--no-probe", *J),
        2,
        "invalid TOML",
        write("pyproject.toml", "[tool.compataudit\n"),
    ),
    Case(
        "pyproject-unknown-key",
        3,
        ("check", "--no-probe", *J),
        2,
        "unknown key 'fail_onn'",
        write("pyproject.toml", '[tool.compataudit]\nfail_onn = "warning"\n'),
    ),
    # ------------------------------------------------------------ 4 probe faults
    Case(
        "smi-prints-nothing", 4, STATIC, 0, setup=fake_smi("exit 0\n"), check=prb001_says("printed nothing")
    ),
    Case(
        "smi-binary-junk",
        4,
        STATIC,
        0,
        setup=fake_smi("printf '\\000\\377\\376ELF'\n"),
        check=prb001_says("binary data"),
    ),
    Case(
        "smi-malformed-csv",
        4,
        STATIC,
        0,
        setup=fake_smi("echo '0, NVIDIA A100'\n"),
        check=prb001_says("expected 8 columns, got 2"),
    ),
    Case(
        "smi-junk-compute-capability",
        4,
        STATIC,
        0,
        setup=fake_smi("echo '0, A100, GPU-1, 00000000:01:00.0, 81920, x.y, Disabled, 550.54.14'\n"),
        check=prb001_says("compute capability 'x.y'"),
    ),
    Case(
        "smi-driver-mismatch",
        4,
        STATIC,
        0,
        setup=fake_smi("echo 'Failed to initialize NVML: Driver/library version mismatch'; exit 18\n"),
        check=prb001_says("Driver/library version mismatch"),
    ),
    Case("unreadable-dir-on-path", 4, STATIC, 0, setup=locked_path_dir, check=lacks("PRB001")),
    Case(
        "toolkit-permission-denied",
        4,
        STATIC,
        0,
        setup=refused("compataudit.probes.toolkit.find_cudnn"),
        check=prb001_says("permission denied"),
    ),
    Case(
        "nvml-permission-denied",
        4,
        STATIC,
        0,
        setup=refused("compataudit.probes.nvml.probe_nvml"),
        check=prb001_says("nvml: permission denied"),
    ),
    Case(
        "two-dist-infos",
        4,
        STATIC,
        0,
        "torch-2.4.0.dist-info",
        site_packages(("torch", "2.4.0"), ("torch", "2.5.1")),
        check=has("PKG006"),
    ),
    Case(
        "editable-install",
        4,
        STATIC,
        0,
        setup=site_packages(("torch", "2.6.0a0"), editable=True, module=False),
        check=lambda doc, root: (
            [f for f in doc["findings"] if f["code"] == "PKG004" and "torch" in f["components"]] == []
            or pytest.fail("editable torch called broken")
        ),
    ),
    Case(
        "half-removed-install",
        4,
        STATIC,
        0,
        "files are missing",
        site_packages(("torch", "2.5.1"), module=False),
        check=has("PKG004"),
    ),
    # ------------------------------------------------------------ 5 version semantics
    Case(
        "policy-pin-with-local-label-met",
        5,
        (*WHAT_IF, "--pin", "torch==2.5.1+cu124"),
        (0, 1),
        setup=write("pyproject.toml", '[tool.compataudit]\nrequire = ["torch==2.5.1+cu124"]\n'),
        check=lacks("POL001"),
    ),
    Case(
        "policy-pin-with-local-label-broken",
        5,
        (*WHAT_IF, "--pin", "torch==2.5.1+cpu"),
        1,
        setup=write("pyproject.toml", '[tool.compataudit]\nrequire = ["torch==2.5.1+cu124"]\n'),
        check=has("POL001"),
    ),
    Case(
        "policy-range-ignores-local-label",
        5,
        (*WHAT_IF, "--pin", "torch==2.5.1+cu124"),
        (0, 1),
        setup=write("pyproject.toml", '[tool.compataudit]\nrequire = ["torch>=2.5,<2.6"]\n'),
        check=lacks("POL001"),
    ),
    Case(
        "policy-from-env",
        5,
        (*WHAT_IF, "--pin", "numpy==2.1.0"),
        1,
        env={"COMPATAUDIT_REQUIRE": "numpy==2.1.0+local"},
        check=has("POL001"),
    ),
    # ------------------------------------------------------------ 6 GPU visibility
    Case(
        "all-gpus-visible",
        6,
        ("check", "--snapshot", "snap.json", *J),
        1,
        setup=snapshot_with_gpus(None),
        check=has("ARC001"),
    ),
    Case(
        "old-gpu-hidden-by-index",
        6,
        ("check", "--snapshot", "snap.json", *J),
        (0, 1),
        setup=snapshot_with_gpus("1"),
        check=lacks("ARC001"),
    ),
    Case(
        "old-gpu-hidden-by-uuid",
        6,
        ("check", "--snapshot", "snap.json", *J),
        (0, 1),
        setup=snapshot_with_gpus("GPU-22222222"),
        check=lacks("ARC001"),
    ),
    Case(
        "only-old-gpu-visible",
        6,
        ("check", "--snapshot", "snap.json", *J),
        1,
        setup=snapshot_with_gpus("0"),
        check=has("ARC001"),
    ),
    Case(
        "all-gpus-hidden-empty",
        6,
        ("check", "--snapshot", "snap.json", *J),
        (0, 1),
        setup=snapshot_with_gpus(""),
        check=lacks("ARC001"),
    ),
    Case(
        "all-gpus-hidden-minus-one",
        6,
        ("check", "--snapshot", "snap.json", *J),
        (0, 1),
        setup=snapshot_with_gpus("-1"),
        check=lacks("ARC001"),
    ),
    Case(
        "hidden-gpu-listed-as-hidden",
        6,
        ("check", "--snapshot", "snap.json"),
        (0, 1),
        "hidden by CUDA_VISIBLE_DEVICES, not checked",
        snapshot_with_gpus("1"),
    ),
    # ------------------------------------------------------------ 7 outputs
    Case(
        "output-follows-umask",
        7,
        (*STATIC, "-o", "out.json"),
        0,
        writes=("out.json",),
        check=file_mode("out.json", 0o644),
    ),
    Case(
        "output-keeps-existing-mode",
        7,
        (*STATIC, "-o", "out.json"),
        0,
        setup=existing_report(0o664),
        writes=("out.json",),
        check=file_mode("out.json", 0o664),
    ),
    Case("output-into-missing-directory", 7, (*STATIC, "-o", "no/such/dir/out.json"), 2, "does not exist"),
    Case("output-is-a-directory", 7, (*STATIC, "-o", "sub"), 2, "cannot write sub", write("sub/keep", "x")),
    Case(
        "redacted-report",
        7,
        (*STATIC, "--redact"),
        0,
        check=lambda doc, root: (
            doc["environment"]["platform"].get("hostname") in (None, "<host>") or pytest.fail("hostname kept")
        ),
    ),
    Case("smoke-timeout-zero", 7, ("smoke", "--smoke-timeout", "0", *J), 2, "--smoke-timeout"),
    Case("smoke-timeout-negative", 7, ("check", "--smoke-timeout", "-3", *J), 2, "--smoke-timeout"),
    Case("smoke-bad-device", 7, ("smoke", "--device", "tpu", *J), 2, "unknown device 'tpu'"),
    Case("check-bad-device", 7, ("check", "--device", "cuda:x", *J), 2, "unknown device 'cuda:x'"),
    Case(
        "smoke-honours-pyproject",
        7,
        SMOKE,
        1,
        "no result after 1 s",
        both(HANG, write("pyproject.toml", "[tool.compataudit]\nsmoke-timeout = 1\n")),
    ),
    Case(
        "smoke-honours-env", 7, SMOKE, 1, "no result after 1 s", HANG, env={"COMPATAUDIT_SMOKE_TIMEOUT": "1"}
    ),
    Case(
        "smoke-cuda-on-cpu-build",
        7,
        (*SMOKE, "--device", "cuda"),
        1,
        "SMK002",
        check=fix_mentions("is a CPU-only build, so it cannot run on cuda"),
    ),
    # ------------------------------------------------------------ 8 hostile environments
    Case(
        "env-fail-on-bogus",
        8,
        ("check", "--no-probe", *J),
        2,
        "COMPATAUDIT_FAIL_ON",
        env={"COMPATAUDIT_FAIL_ON": "sometimes"},
    ),
    Case(
        "env-timeout-zero",
        8,
        ("check", "--no-probe", *J),
        2,
        "COMPATAUDIT_SMOKE_TIMEOUT",
        env={"COMPATAUDIT_SMOKE_TIMEOUT": "0"},
    ),
    Case(
        "env-matrices-missing",
        8,
        ("check", "--no-probe", *J),
        2,
        "nowhere",
        env={"COMPATAUDIT_MATRICES": "nowhere"},
    ),
    Case("no-home", 8, ("check", "--no-probe", "--python", "3.11", *J), 0, env={"HOME": ""}),
    Case("empty-path", 8, STATIC, 0, env={"PATH": ""}),
]


# --------------------------------------------------------------------------- harness


def _user_files(root: Path) -> dict[str, tuple[str, int]]:
    out = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            out[str(path.relative_to(root))] = (
                hashlib.sha256(path.read_bytes()).hexdigest(),
                path.stat().st_mode,
            )
    return out


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    root = tmp_path / "work"
    (root / "home").mkdir(parents=True)
    monkeypatch.chdir(root)
    monkeypatch.setenv("HOME", str(root / "home"))
    monkeypatch.setenv("NO_COLOR", "1")
    for var in [v for v in os.environ if v.startswith("COMPATAUDIT_") or v == "CUDA_VISIBLE_DEVICES"]:
        monkeypatch.delenv(var)
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    old_umask = os.umask(0o022)
    try:
        with lifecycle.subreaper():
            yield root
    finally:
        os.umask(old_umask)
        for number, handler in handlers.items():
            signal.signal(number, handler)
        for p in root.rglob("*"):  # a locked directory must not stop the clean-up
            if p.is_dir():
                p.chmod(0o755)


def _json_requested(case: Case) -> bool:
    args = " ".join(case.args)
    return (
        "-f json" in args
        or "--format=json" in args
        or "-fjson" in args
        or bool(case.env.get("COMPATAUDIT_FORMAT"))
    )


def _needs_torch(case: Case) -> bool:
    """Cases that run the torch smoke kernel read the installed torch's metadata."""
    return case.args[:1] == ("smoke",) or "--framework" in case.args


@pytest.mark.parametrize(
    "case",
    [pytest.param(c, marks=[pytest.mark.frameworks] if _needs_torch(c) else []) for c in CASES],
    ids=[f"{c.kind}-{c.id}" for c in CASES],
)
def test_fault(
    case: Case, sandbox: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for key, value in case.env.items():
        monkeypatch.setenv(key, value)
    if case.setup is not None:
        case.setup(sandbox, monkeypatch)
    before = {k: v for k, v in _user_files(sandbox).items() if k not in case.writes}
    with pytest.raises(SystemExit) as done:
        main(list(case.args))
    out, err = capsys.readouterr()
    code = done.value.code
    expected = case.code if isinstance(case.code, tuple) else (case.code,)
    assert code in expected, f"exit {code}; stderr: {err}"
    assert "Traceback" not in out + err and "internal error" not in err
    if case.says:
        assert case.says in out + err
    doc: Any = None
    if _json_requested(case) and "-o" not in case.args:
        doc = json.loads(out)
        if code == 2:
            jsonschema.validate(doc, {"$ref": "#/$defs/error_document", "$defs": SCHEMA["$defs"]})
            assert doc["error"]["exit_code"] == 2
        elif case.args[0] in ("check", "smoke"):
            jsonschema.validate(doc, SCHEMA)
    elif "-o" in case.args and code == 0:
        doc = json.loads((sandbox / case.args[case.args.index("-o") + 1]).read_text())
    if case.check is not None:
        case.check(doc if doc is not None else out, sandbox)
    assert lifecycle.children_of(os.getpid()) == [], "a process was left behind"
    pidfile = sandbox.parent / f"{sandbox.name}.pids"  # what a fake kernel started, if one ran
    if pidfile.exists():
        started = [int(p) for p in pidfile.read_text().split()]
        for _ in range(100):
            if not any(alive(p) for p in started):
                break
            subprocess.run(["sleep", "0.05"], check=True)
        survivors = [p for p in started if alive(p)]
        for pid in survivors:
            os.kill(pid, signal.SIGKILL)
        assert survivors == [], "a kernel's helper survived the run"
    after = {k: v for k, v in _user_files(sandbox).items() if k not in case.writes}
    assert after == before, "the user's files changed"


def test_the_catalogue_covers_every_kind() -> None:
    per_kind = {kind: sum(1 for c in CASES if c.kind == kind) for kind in range(1, 9)}
    assert all(per_kind.values()), per_kind
    assert len(CASES) + len(SIGNALS) >= 60


# --------------------------------------------------------------------------- 1: real signals

SIGNALS = [("SIGINT", 130), ("SIGTERM", 143), ("SIGHUP", 129)]


def _default_signals() -> None:
    for name, _code in SIGNALS:
        signal.signal(getattr(signal, name), signal.SIG_DFL)


@pytest.mark.frameworks  # the fake kernel stands in for an installed torch
@pytest.mark.parametrize(("name", "code"), SIGNALS)
@pytest.mark.parametrize("command", ["smoke", "check"])
def test_a_signal_ends_the_run_and_every_process(name: str, code: int, command: str, tmp_path: Path) -> None:
    pidfile = tmp_path / "pids"
    env = {
        **os.environ,
        "PYTHONPATH": str(FAKES / "hang"),
        "FAKE_HANG_PIDFILE": str(pidfile),
        "FAKE_HANG_SETSID": "1",
        "NO_COLOR": "1",
    }
    argv = [sys.executable, "-m", "compataudit", command, "--framework", "torch", "-f", "json"]
    cli = subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
        # the signal's default disposition, whatever this test runs under: nohup ignores
        # SIGHUP, and compataudit rightly leaves an ignored SIGHUP ignored
        preexec_fn=_default_signals,
    )
    pids: list[int] = []
    try:
        for _ in range(1200):
            if pidfile.exists():
                pids = [int(p) for p in pidfile.read_text().split()]
                break
            assert cli.poll() is None, cli.communicate()
            subprocess.run(["sleep", "0.05"], check=True)
        cli.send_signal(getattr(signal, name))
        out, err = cli.communicate(timeout=30)
        assert len(pids) == 3  # the kernel, a helper in its group, a helper in a session of its own
        assert cli.returncode == code and "Traceback" not in err
        assert json.loads(out)["error"] == {"message": f"interrupted by {name}", "exit_code": code}
        for _ in range(100):
            if not any(alive(p) for p in pids):
                break
            subprocess.run(["sleep", "0.05"], check=True)
        assert not any(alive(p) for p in pids), "a process survived the signal"
    finally:  # never leave a sleeper behind, even when the test fails
        if cli.poll() is None:
            cli.kill()
        for pid in pids:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_ascii_stdout_gets_ascii_markers(
    sandbox: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(raw, encoding="ascii"))
    with pytest.raises(SystemExit) as done:
        main(
            [
                "check",
                "--no-probe",
                "--python",
                "3.11",
                "--pin",
                "torch==2.5.1+cu124",
                "--pin",
                "torchvision==0.18.0",
            ]
        )
    sys.stdout.flush()
    assert done.value.code == 1
    text = raw.getvalue().decode("ascii")  # would raise on any non-ASCII byte
    assert "torchvision" in text and "Traceback" not in capsys.readouterr().err
