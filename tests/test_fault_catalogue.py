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
import threading
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
from tests.processes import alive, all_gone, kill_all, read_pids
from tests.smoke.fakes import FAKES

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux process model")

REPO = Path(__file__).resolve().parents[1]
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
    raw: Callable[[str, str, Path], object] | None = None  # asserts on the raw stdout and stderr


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
NO_PROBE = ("check", "--no-probe", "--python", "3.11")
WHAT_IF = (*NO_PROBE, *J)
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
    *(
        Case(
            f"kernel-{name}",
            1,
            SMOKE,
            1,
            says,
            fake_framework(fake, **extra),
            check=smoke_status(status, detail),
        )
        for name, says, fake, extra, status, detail in (
            ("segfaults", "SMK003", "crash", {}, "crash", "killed by SIGSEGV"),
            ("aborts", "SMK003", "crash", {"FAKE_SIGNAL": "SIGABRT"}, "crash", "killed by SIGABRT"),
            ("prints-garbage", "SMK002", "garbage", {}, "error", "malformed JSON"),
            ("import-error", "SMK002", "importerror", {}, "error", "libcudart.so.12"),
        )
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
    *(
        Case(name, 2, ("check", "--snapshot", "s.json", *J), 2, says, write("s.json", text))
        for name, text, says in (
            ("malformed-snapshot", '{"python": ', "not valid JSON"),
            ("snapshot-not-an-object", "[1, 2]", "expected a JSON object"),
        )
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
        (*NO_PROBE, "--pin", "torch==1.0.0", "--config", "~/x.toml", *J),
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
    *(
        Case(name, 4, STATIC, 0, setup=fake_smi(body), check=prb001_says(says))
        for name, body, says in (
            ("smi-prints-nothing", "exit 0\n", "printed nothing"),
            ("smi-binary-junk", "printf '\\000\\377\\376ELF'\n", "binary data"),
            ("smi-malformed-csv", "echo '0, NVIDIA A100'\n", "expected 8 columns, got 2"),
            (
                "smi-junk-compute-capability",
                "echo '0, A100, GPU-1, 00000000:01:00.0, 81920, x.y, Disabled, 550.54.14'\n",
                "compute capability 'x.y'",
            ),
            (
                "smi-driver-mismatch",
                "echo 'Failed to initialize NVML: Driver/library version mismatch'; exit 18\n",
                "Driver/library version mismatch",
            ),
        )
    ),
    Case("unreadable-dir-on-path", 4, STATIC, 0, setup=locked_path_dir, check=lacks("PRB001")),
    *(
        Case(name, 4, STATIC, 0, setup=refused(target), check=prb001_says(says))
        for name, target, says in (
            ("toolkit-permission-denied", "compataudit.probes.toolkit.find_cudnn", "permission denied"),
            ("nvml-permission-denied", "compataudit.probes.nvml.probe_nvml", "nvml: permission denied"),
        )
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
    *(
        Case(
            f"policy-{name}",
            5,
            (*WHAT_IF, "--pin", pin),
            code,
            setup=write("pyproject.toml", f'[tool.compataudit]\nrequire = ["{require}"]\n'),
            check=check,
        )
        for name, pin, require, code, check in (
            ("pin-with-local-label-met", "torch==2.5.1+cu124", "torch==2.5.1+cu124", (0, 1), lacks("POL001")),
            ("pin-with-local-label-broken", "torch==2.5.1+cpu", "torch==2.5.1+cu124", 1, has("POL001")),
            ("range-ignores-local-label", "torch==2.5.1+cu124", "torch>=2.5,<2.6", (0, 1), lacks("POL001")),
        )
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
    *(
        Case(
            name,
            6,
            ("check", "--snapshot", "snap.json", *J),
            1 if seen else (0, 1),
            setup=snapshot_with_gpus(visible),
            check=has("ARC001") if seen else lacks("ARC001"),
        )
        for name, visible, seen in (  # seen: the Kepler K80 (sm_37, too old for the build) is checked
            ("all-gpus-visible", None, True),
            ("old-gpu-hidden-by-index", "1", False),
            ("old-gpu-hidden-by-uuid", "GPU-22222222", False),
            ("only-old-gpu-visible", "0", True),
            ("all-gpus-hidden-empty", "", False),
            ("all-gpus-hidden-minus-one", "-1", False),
        )
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
    *(
        Case(name, 8, ("check", "--no-probe", *J), 2, says, env={var: value})
        for name, var, value, says in (
            ("env-fail-on-bogus", "COMPATAUDIT_FAIL_ON", "sometimes", "COMPATAUDIT_FAIL_ON"),
            ("env-timeout-zero", "COMPATAUDIT_SMOKE_TIMEOUT", "0", "COMPATAUDIT_SMOKE_TIMEOUT"),
            ("env-matrices-missing", "COMPATAUDIT_MATRICES", "nowhere", "nowhere"),
        )
    ),
    Case("no-home", 8, (*NO_PROBE, *J), 0, env={"HOME": ""}),
    Case("empty-path", 8, STATIC, 0, env={"PATH": ""}),
]


# --------------------------------------------------------------------------- round 2: hostile input
# What we print cannot drive a terminal or a CI runner, what we write never replaces a
# device, and no input can hang us or eat the machine. Security cases assert on the raw
# text: no ESC, BEL, C1 CSI or bidi override reaches stdout or stderr.

OSC52 = "\x1b]52;c;aGVsbG8=\x07"  # writes the clipboard
CLEAR = "\x1b[2J"  # clears the screen
C1_CSI = "\x9b2J"
BIDI = "\u202e"
MASK = "\n::add-mask::secret"  # a GitHub Actions workflow command on a line of its own
VSO = "\n##vso[task.setvariable variable=x]y"  # an Azure Pipelines logging command
LINT_SEED = (REPO / "tests" / "fixtures" / "lint" / "seed" / "example3.py").read_text()


def no_controls(out: str, err: str, root: Path) -> None:
    """Nothing but printable text, newlines and tabs, on both streams."""
    for text in (out, err):
        bad = [ch for ch in text if (ord(ch) < 0x20 and ch not in "\n\t") or 0x7F <= ord(ch) < 0xA0]
        bad += [ch for ch in text if ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"]
        assert bad == [], repr(bad[:5])


def no_ci_commands(out: str, err: str, root: Path) -> None:
    """No control characters and no line a CI runner executes."""
    no_controls(out, err, root)
    for line in (out + "\n" + err).splitlines():
        assert not line.lstrip().startswith(("::", "##[")), line
    assert "##vso[" not in out + err


def only_our_commands(out: str, err: str, root: Path) -> None:
    """``--format github``: workflow commands, but only the annotations we write."""
    no_controls(out, err, root)
    for line in out.splitlines():
        if line.lstrip().startswith("::"):
            assert line.startswith(("::error ", "::warning ", "::notice ")), line
    assert "##vso[" not in out + err


def clean_file(name: str) -> Callable[[Any, Path], None]:
    """The raw bytes of an output file: no ESC, BEL, C1 CSI or bidi override, no ``##vso[``,
    no line that starts a workflow command other than our own annotations."""

    def check(doc: Any, root: Path) -> None:
        data = (root / name).read_bytes()
        for bad in (b"\x1b", b"\x07", "\x9b".encode(), "\u202e".encode(), b"##vso["):
            assert bad not in data, bad
        for line in data.splitlines():
            if line.lstrip().startswith(b"::"):
                assert line.startswith((b"::error ", b"::warning ", b"::notice ")), line

    return check


UV_LOCK_HEAD = 'version = 1\nrequires-python = ">=3.11"\n'


def uv_lock(version: str, name: str = "torch") -> Setup:
    """A uv.lock pinning ``name`` at ``version`` (any characters: a TOML basic string)."""
    return write(
        "uv.lock",
        UV_LOCK_HEAD + "\n[[package]]\n"
        f"name = {json.dumps(name)}\nversion = {json.dumps(version)}\n"
        'source = { registry = "https://pypi.org/simple" }\n',
    )


def fifo(name: str) -> Setup:
    """A FIFO nobody writes; pipes give up after 0.3 s in these cases."""

    def setup(root: Path, mp: pytest.MonkeyPatch) -> None:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        os.mkfifo(root / name)
        mp.setattr("compataudit.files.PIPE_TIMEOUT_S", 0.3)

    return setup


def fifo_writer(name: str, text: str) -> Setup:
    """A FIFO that a thread fills with ``text`` once (as ``<(cat file)`` does)."""

    def setup(root: Path, mp: pytest.MonkeyPatch) -> None:
        os.mkfifo(root / name)

        def feed() -> None:
            with (root / name).open("w") as fh:
                fh.write(text)

        threading.Thread(target=feed, daemon=True).start()

    return setup


def fifo_reader(name: str) -> Setup:
    """A FIFO that a thread drains into ``got.txt`` (what a reading process would see)."""

    def setup(root: Path, mp: pytest.MonkeyPatch) -> None:
        os.mkfifo(root / name)

        def drain() -> None:
            with (root / name).open("rb") as fh:
                (root / "got.txt").write_bytes(fh.read())

        threading.Thread(target=drain, daemon=True).start()

    return setup


def device_copy(name: str, minor: int) -> Setup:
    """A private copy of /dev/null (minor 3) or /dev/full (minor 7): root only."""

    def setup(root: Path, mp: pytest.MonkeyPatch) -> None:
        if os.geteuid() != 0:
            pytest.skip("mknod needs root")
        os.mknod(root / name, 0o666 | stat.S_IFCHR, os.makedev(1, minor))

    return setup


def link(name: str, target: str) -> Setup:
    def setup(root: Path, mp: pytest.MonkeyPatch) -> None:
        (root / name).symlink_to(target)

    return setup


def still(name: str, kind: Callable[[int], bool], target: str | None = None) -> Callable[[Any, Path], None]:
    """``name`` is still what it was (a FIFO, a device, a link to ``target``)."""

    def check(doc: Any, root: Path) -> None:
        path = root / name
        assert kind(path.lstat().st_mode), oct(path.lstat().st_mode)
        if target is not None:
            assert str(path.readlink()) == target
        assert [p.name for p in root.iterdir() if p.name.startswith(".compataudit-")] == []

    return check


def fifo_got(text: str) -> Callable[[Any, Path], None]:
    def check(doc: Any, root: Path) -> None:
        assert stat.S_ISFIFO((root / "out.fifo").lstat().st_mode)
        for _ in range(100):
            if (root / "got.txt").exists() and (root / "got.txt").stat().st_size:
                break
            subprocess.run(["sleep", "0.05"], check=True)
        assert text in (root / "got.txt").read_text()

    return check


def venv_with(python_body: str, cfg_version: str = "3.11.7") -> Setup:
    """A venv whose bin/python is a shell script running ``python_body``."""

    def setup(root: Path, mp: pytest.MonkeyPatch) -> None:
        venv = root / "venv"
        (venv / "bin").mkdir(parents=True)
        (venv / "lib" / "python3.11" / "site-packages").mkdir(parents=True)
        (venv / "pyvenv.cfg").write_text(f"home = /usr/bin\nversion = {cfg_version}\n")
        script = venv / "bin" / "python"
        script.write_text("#!/bin/sh\n" + python_body)
        script.chmod(0o755)
        mp.setattr("compataudit.probes.target.INTERPRETER_TIMEOUT", 1.5)

    return setup


def python_version(expected: str) -> Callable[[Any, Path], None]:
    def check(doc: Any, root: Path) -> None:
        assert doc["environment"]["python"]["version"] == expected, doc["environment"]["python"]

    return check


def dist_info(name: str, version: str, *, metadata: str = "file", record: str = "none") -> Setup:
    """A site-packages first on sys.path with one distribution whose METADATA (and RECORD)
    is a regular file, a FIFO nobody writes, or a link to /dev/zero."""

    def setup(root: Path, mp: pytest.MonkeyPatch) -> None:
        info = root / "site" / f"{name}-{version}.dist-info"
        info.mkdir(parents=True)
        for file, how in (("METADATA", metadata), ("RECORD", record)):
            path = info / file
            if how == "file":
                path.write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\n")
            elif how == "fifo":
                os.mkfifo(path)
            elif how == "zero":
                path.symlink_to("/dev/zero")
        mp.syspath_prepend(str(root / "site"))

    return setup


def conda_prefix_with_fifos(root: Path, mp: pytest.MonkeyPatch) -> None:
    prefix = root / "env"
    (prefix / "conda-meta").mkdir(parents=True)
    (prefix / "lib" / "python3.11" / "site-packages").mkdir(parents=True)
    os.mkfifo(prefix / "conda-meta" / "pytorch-2.5.1-py3.11_cuda12.4_0.json")
    (prefix / "conda-meta" / "python-3.11.7-h1_0.json").symlink_to("/dev/zero")


def lint_cache_entry(body: bytes | None) -> Setup:
    """lint's cache entry for ``code/m.py`` replaced by ``body`` (None: a FIFO)."""

    def setup(root: Path, mp: pytest.MonkeyPatch) -> None:
        from compataudit.doctor import cache

        source = root / "code" / "m.py"
        source.parent.mkdir()
        source.write_text(LINT_SEED)
        mp.setenv("XDG_CACHE_HOME", str(root.parent / f"{root.name}-cache"))  # not a user file
        entry = cache._entry(cache.default_cache_dir(), cache.content_key(source.read_bytes()))
        entry.parent.mkdir(parents=True)
        if body is None:
            os.mkfifo(entry)
        else:
            entry.write_bytes(body)

    return setup


def lint_cache_edited(field_name: str, value: object) -> Setup:
    """lint's real cache entry for ``code/m.py`` with one field of its first class replaced."""

    def setup(root: Path, mp: pytest.MonkeyPatch) -> None:
        from compataudit.doctor import cache
        from compataudit.doctor.lint_run import summarize_bytes

        lint_cache_entry(b"")(root, mp)
        data = (root / "code" / "m.py").read_bytes()
        summary, _ = summarize_bytes(data, "m.py")
        assert summary is not None
        key = cache.content_key(data)
        assert cache.store(cache.default_cache_dir(), key, summary)
        entry = cache._entry(cache.default_cache_dir(), key)
        raw = json.loads(entry.read_text())
        raw["summary"]["classes"][0][field_name] = value
        entry.write_text(json.dumps(raw))

    return setup


def lint_found(kind: str) -> Callable[[Any, Path], None]:
    def check(doc: Any, root: Path) -> None:
        assert [p["kind"] for p in doc["problems"]] == [kind], doc

    return check


def snapshot_file(name: str, env: Environment, **top: object) -> Setup:
    def setup(root: Path, mp: pytest.MonkeyPatch) -> None:
        data = json.loads(dump_snapshot(env))
        data.update(top)
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(json.dumps(data))

    return setup


def node(
    host: str | None = "node01", torch: str = "2.5.1+cu124", gpu: str = "NVIDIA L4", **extra: Any
) -> Environment:
    return Environment(
        python=PythonInfo("3.11.7", prefix=extra.pop("prefix", None)),
        platform=PlatformInfo("Linux", "x86_64", hostname=host),
        packages=(Package("torch", torch, extra.pop("location", "/site")),),
        nvidia=NvidiaInfo(
            status=ProbeStatus.OK,
            source="nvml",
            driver_version="560.35.03",
            cuda_driver_version="12.6",
            gpus=(
                Gpu(0, gpu, extra.pop("uuid", "GPU-22222222-bbbb"), "8.9", serial=extra.pop("serial", None)),
            ),
        ),
        env_vars=extra.pop("env_vars", ()),
        origin="probe",
    )


def fleet_corrupt(*names: str) -> Callable[[Any, Path], None]:
    def check(doc: Any, root: Path) -> None:
        assert sorted(Path(c["file"]).name for c in doc["corrupt"]) == sorted(names), doc["corrupt"]
        assert all("schema_version" in c["error"] or "pipe" in c["error"] for c in doc["corrupt"])

    return check


def lacks_text(*words: str) -> Callable[[str, str, Path], None]:
    def check(out: str, err: str, root: Path) -> None:
        for word in words:
            assert word not in out + err, word

    return check


def redacted(
    name: str,
    env: Environment,
    words: tuple[str, ...],
    also: Setup | None = None,
    shell: dict[str, str] | None = None,
) -> Case:
    """``check --redact`` of a snapshot of ``env`` (after ``also``, under ``shell``'s variables):
    none of ``words`` reaches stdout or stderr."""
    setup = snapshot_file("snap.json", env)
    return Case(
        name,
        8,
        ("check", "--no-smoke", "--snapshot", "snap.json", "--redact", *J),
        (0, 1),
        setup=setup if also is None else both(setup, also),
        env=shell or {},
        raw=lacks_text(*words),
    )


def laughs(levels: int, width: int, *, pip: bool = False) -> str:
    """A "billion laughs": anchors under a key of their own, the last one used as a
    dependency (or as the pip section), so a reader that expands it never ends."""
    lines = ["x:", f"  - &a0 [{', '.join(['lol'] * width)}]"]
    lines += [f"  - &a{i} [{', '.join([f'*a{i - 1}'] * width)}]" for i in range(1, levels)]
    last = f"*a{levels - 1}"
    lines += ["dependencies:", f"  - pip: {last}" if pip else f"  - {last}"]
    return "\n".join(lines) + "\n"


def deep_yaml(depth: int) -> str:
    return "dependencies:\n  - " + "[" * depth + "]" * depth + "\n"


R_CHECK = ("check", "--no-smoke", "--no-probe", "--python", "3.11")
EVIL_VERSION = "2.5.1" + OSC52 + CLEAR + C1_CSI + BIDI + MASK + VSO
HOSTILE_NAME_CSV = (
    "printf '0, NVIDIA \\033]52;c;aGk=\\007A100\\033[2J, GPU-1, 00000000:01:00.0, 81920, 8.0, Disabled, "
    "550.54.14\\n'\n"
)

# Each text format with what its raw output may hold.
TEXT_FORMATS = (("table", no_ci_commands), ("markdown", no_ci_commands), ("github", only_our_commands))


def r_file(name: str, file: str, made: str | Setup | None, code: int | tuple[int, ...], says: str) -> Case:
    """A what-if ``check -r FILE`` (kind 3); ``made``: the file's text, or the setup that makes it."""
    setup = write(file, made) if isinstance(made, str) else made
    return Case(name, 3, (*R_CHECK, "-r", file, *J), code, says, setup)


HOSTILE = [
    # ------------------------------------------------ 7 outputs: escapes and CI commands
    *(
        Case(
            f"lock-version-escapes-{fmt}",
            7,
            (*R_CHECK, "-r", "uv.lock", "-f", fmt),
            (0, 1),
            "",
            uv_lock(EVIL_VERSION),
            raw=check,
        )
        for fmt, check in TEXT_FORMATS
    ),
    *(
        Case(
            f"lock-version-escapes-file-{fmt}",
            7,
            (*R_CHECK, "-r", "uv.lock", "-f", fmt, "-o", f"out.{fmt}"),
            (0, 1),
            setup=uv_lock(EVIL_VERSION),
            writes=(f"out.{fmt}",),
            check=clean_file(f"out.{fmt}"),
        )
        for fmt in ("table", "markdown", "github", "junit", "sarif", "html")
    ),
    Case(
        "lock-version-escapes-json",
        7,
        (*R_CHECK, "-r", "uv.lock", *J),
        (0, 1),
        setup=uv_lock(EVIL_VERSION),
        raw=no_ci_commands,
        check=lambda doc, root: (
            doc["environment"]["packages"][0]["version"] == EVIL_VERSION or pytest.fail("JSON lost data")
        ),
    ),
    Case(
        "lock-version-escapes-verbose-table",
        7,
        (*R_CHECK, "-r", "uv.lock", "-vv"),
        (0, 1),
        setup=uv_lock("2.5.1" + MASK + OSC52),
        raw=no_ci_commands,
    ),
    Case(
        "lock-name-escapes-table",
        7,
        (*R_CHECK, "-r", "uv.lock"),
        (0, 1, 2),
        setup=uv_lock("1.0.0", name="torch" + CLEAR + MASK),
        raw=no_ci_commands,
    ),
    *(
        Case(
            f"metadata-version-escapes-{fmt}",
            7,
            ("check", "--no-smoke", "--fail-on", "never", "-f", fmt),
            0,
            setup=dist_info("torch", "2.5.1" + OSC52 + CLEAR + C1_CSI),
            raw=check,
        )
        for fmt, check in TEXT_FORMATS
    ),
    *(
        Case(
            f"smi-gpu-name-escapes-{fmt}",
            7,
            ("check", "--no-smoke", "--fail-on", "never", "-f", fmt),
            0,
            setup=fake_smi(HOSTILE_NAME_CSV),
            raw=check,
        )
        for fmt, check in TEXT_FORMATS
    ),
    Case(
        "markdown-raw-html-from-a-lock",
        7,
        (*R_CHECK, "-r", "uv.lock", "-f", "markdown"),
        (0, 1),
        setup=uv_lock("<img src=x onerror=alert(1)>"),
        raw=lambda out, err, root: ("<img" not in out and "&lt;img" in out) or pytest.fail(out),
    ),
    *(
        Case(name, 7, ("lint", "--no-cache", "code"), 1, setup=write(path, LINT_SEED), raw=no_ci_commands)
        for name, path in (
            ("lint-path-escapes", "code/evil" + OSC52 + CLEAR + ".py"),
            ("lint-path-newline-command", "code/x\n::error::pwned\n##vso[task.complete]y.py"),
        )
    ),
    Case(
        "explain-traceback-escapes",
        7,
        ("explain", "--no-probe", "tb.txt"),
        (0, 1),
        setup=write(
            "tb.txt",
            'Traceback (most recent call last):\n  File "x.py", line 1\n'
            f"RuntimeError: Found no NVIDIA driver on your system{OSC52}{CLEAR}\n::add-mask::secret\n",
        ),
        raw=no_ci_commands,
    ),
    Case(
        "error-message-path-escapes",
        7,
        (*R_CHECK, "-r", "nope" + OSC52 + CLEAR + ".txt"),
        2,
        "no such file",
        raw=no_controls,
    ),
    Case(
        "fleet-text-escapes",
        7,
        ("fleet", "nodes"),
        (0, 1),
        setup=both(
            snapshot_file("nodes/a.json", node(host="h" + OSC52, gpu="L4" + CLEAR + MASK)),
            snapshot_file("nodes/b.json", node(host="h2", torch="2.4.0" + VSO)),
        ),
        raw=no_ci_commands,
    ),
    Case(
        "diff-text-escapes",
        7,
        ("diff", "a.json", "b.json"),
        (0, 1),
        setup=both(
            snapshot_file("a.json", node()), snapshot_file("b.json", node(torch="2.4.0" + OSC52 + MASK))
        ),
        raw=no_ci_commands,
    ),
    # ------------------------------------------------ 7 outputs: writes through special files
    Case(
        "out-fifo-written-through",
        7,
        (*NO_PROBE, "-o", "out.fifo"),
        0,
        setup=fifo_reader("out.fifo"),
        writes=("got.txt",),
        check=fifo_got("compataudit"),
    ),
    *(
        Case(f"out-{name}", 7, (*NO_PROBE, "-o", file), code, says, setup, check=still(file, kind, target))
        for name, file, code, says, setup, kind, target in (
            (
                "fifo-nobody-reads",
                "out.fifo",
                2,
                "no process reads it",
                fifo("out.fifo"),
                stat.S_ISFIFO,
                None,
            ),
            ("devnull-copy", "null", 0, "", device_copy("null", 3), stat.S_ISCHR, None),
            (
                "devfull-copy",
                "full",
                2,
                "No space left on device",
                device_copy("full", 7),
                stat.S_ISCHR,
                None,
            ),
            (
                "link-to-devfull",
                "full",
                2,
                "No space left on device",
                link("full", "/dev/full"),
                stat.S_ISLNK,
                "/dev/full",
            ),
        )
    ),
    Case(
        "out-link-to-proc-fd",
        7,
        (*NO_PROBE, "-o", "out"),
        0,
        setup=link("out", "/proc/self/fd/1"),
        writes=("out",),  # through the link: the test's own captured stdout
        check=still("out", stat.S_ISLNK, "/proc/self/fd/1"),
    ),
    Case(
        "out-link-to-regular-file",
        7,
        (*NO_PROBE, *J, "-o", "link.json"),
        0,
        setup=both(write("real.json", "{}"), link("link.json", "real.json")),
        writes=("real.json", "link.json"),  # the link reads as the file it names
        check=lambda doc, root: (
            still("link.json", stat.S_ISLNK, "real.json")(doc, root)
            or json.loads((root / "real.json").read_text())["schema_version"] == 1
        ),
    ),
    *(
        Case(name, 7, (*NO_PROBE, *J, "-o", file), 0, writes=(file,))
        for name, file in (
            ("out-255-byte-name", "r" * 250 + ".json"),
            ("out-255-byte-name-multibyte", "é" * 125 + ".json"),  # two bytes a character
        )
    ),
    # ------------------------------------------------ 3 input files: bombs and bounds
    *(
        r_file(name, "env.yml", text, 2, says)
        for name, text, says in (
            ("yaml-billion-laughs", laughs(12, 12), "env.yml"),
            ("yaml-billion-laughs-in-pip", laughs(12, 12, pip=True), "env.yml"),
            ("yaml-deep-nesting", deep_yaml(20000), "env.yml"),
            ("yaml-dependency-is-a-list", "dependencies:\n  - [1, 2]\n", "env.yml"),
            ("yaml-pip-is-a-number", "dependencies:\n  - pip: 5\n", "env.yml"),
            ("yaml-pip-holds-a-mapping", "dependencies:\n  - pip:\n      - {a: 1}\n", "env.yml"),
        )
    ),
    r_file("nested-r-dev-zero", "req.txt", "numpy==1.26.4\n-r /dev/zero\n", 2, "not a regular file"),
    r_file("r-dev-zero", "/dev/zero", None, 2, "not a regular file"),
    r_file(
        "r-link-to-dev-zero",
        "requirements.txt",
        link("requirements.txt", "/dev/zero"),
        2,
        "not a regular file",
    ),
    r_file(
        "yaml-pip-r-dev-zero",
        "env.yml",
        "dependencies:\n  - pip:\n    - -r /dev/zero\n",
        2,
        "not a regular file",
    ),
    *(
        r_file(name, file, text, code, says)
        for name, file, text, code, says in (
            (
                "uv-lock-deep-nesting",
                "uv.lock",
                "version = 1\nx = " + "[" * 5000 + "]" * 5000 + "\n",
                2,
                "nested too deeply",
            ),
            ("uv-lock-package-is-a-number", "uv.lock", UV_LOCK_HEAD + "package = 5\n", 2, "uv.lock"),
            (
                "uv-lock-name-is-a-number",
                "uv.lock",
                UV_LOCK_HEAD + "\n[[package]]\nname = 5\nversion = [1]\n",
                (0, 2),
                "",
            ),
            (
                "uv-lock-markers-are-a-number",
                "uv.lock",
                UV_LOCK_HEAD + '\n[[package]]\nname = "torch"\nversion = "2.5.1"\nresolution-markers = 5\n',
                2,
                "malformed uv.lock",
            ),
            (
                "uv-lock-version-is-a-table",
                "uv.lock",
                UV_LOCK_HEAD + '\n[[package]]\nname = "torch"\nversion = { a = 1 }\n',
                (0, 2),
                "",
            ),
            (
                "pipfile-lock-deep-nesting",
                "Pipfile.lock",
                '{"_meta": {}, "default": ' + "[" * 100000 + "]" * 100000 + "}",
                2,
                "nested too deeply",
            ),
            (
                "pipfile-lock-default-is-a-list",
                "Pipfile.lock",
                '{"_meta": {}, "default": [1, 2]}',
                (0, 2),
                "",
            ),
            (
                "pipfile-lock-entry-is-a-number",
                "Pipfile.lock",
                '{"_meta": {}, "default": {"torch": 5}}',
                (0, 2),
                "",
            ),
            (
                "poetry-lock-name-is-a-table",
                "poetry.lock",
                '[[package]]\nname = { a = 1 }\nversion = "1.0"\n',
                (0, 2),
                "",
            ),
            (
                "pylock-packages-is-a-string",
                "pylock.toml",
                'lock-version = "1.0"\npackages = "torch"\n',
                (0, 2),
                "",
            ),
        )
    ),
    # ------------------------------------------------ 3 input files: FIFOs and pipes never hang
    r_file("r-fifo-nobody-writes", "req.fifo", fifo("req.fifo"), 2, "pipe"),
    *(
        r_file(name, file, both(fifo("more.fifo"), write(file, text)), 2, "pipe")
        for name, file, text in (
            ("nested-r-fifo", "req.txt", "numpy==1.26.4\n-r more.fifo\n"),
            ("yaml-pip-r-fifo", "env.yml", "dependencies:\n  - pip:\n    - -r more.fifo\n"),
        )
    ),
    Case(
        "r-pipe-read-once",
        3,
        (*R_CHECK, "-r", "req.fifo", *J),
        (0, 1),
        setup=fifo_writer("req.fifo", "torch==2.5.1\nnumpy==1.26.4\n"),
        check=lambda doc, root: (
            {p["name"] for p in doc["environment"]["packages"]} >= {"torch", "numpy"}
            or pytest.fail(str(doc["environment"]["packages"]))
        ),
    ),
    Case("snapshot-fifo", 3, ("check", "--snapshot", "snap.fifo", *J), 2, "pipe", fifo("snap.fifo")),
    Case("snapshot-dev-zero", 3, ("check", "--snapshot", "/dev/zero", *J), 2, "not a regular file"),
    # ------------------------------------------------ 4 probes: metadata that is not a file
    Case("metadata-fifo", 4, STATIC, 0, setup=dist_info("torch", "2.5.1", metadata="fifo")),
    Case("metadata-dev-zero", 4, STATIC, 0, setup=dist_info("torch", "2.5.1", metadata="zero")),
    Case("record-fifo", 4, STATIC, 0, setup=dist_info("torch", "2.5.1", record="fifo")),
    Case(
        "conda-meta-fifo-and-dev-zero",
        4,
        ("check", "--no-smoke", "--env", "env", "--fail-on", "never", *J),
        0,
        setup=conda_prefix_with_fifos,
    ),
    # ------------------------------------------------ 1 lifecycle: --env interpreters
    *(
        Case(
            name,
            1,
            ("check", "--no-smoke", "--env", "venv", "--fail-on", "never", *J),
            0,
            setup=venv_with(body, cfg_version),
            check=python_version(version),
        )
        for name, body, cfg_version, version in (  # bin/python's answer, pyvenv.cfg's version
            (
                "env-answer-is-a-list-version",
                'echo \'{"version": ["3", "11"], "path": []}\'\n',
                "3.11.7",
                "3.11.7",
            ),
            ("env-answer-and-cfg-lie", 'echo \'{"version": ["3", "11"]}\'\n', "['3', '11']", ""),
            ("env-answer-is-binary", "printf '\\000\\377\\376ELF'\n", "3.11.7", "3.11.7"),
            ("env-answer-deep-json", "head -c 100000 /dev/zero | tr '\\0' '['\n", "3.11.7", "3.11.7"),
            ("env-answer-huge", "head -c 50000000 /dev/zero\n", "3.11.7", "3.11.7"),
            (
                "env-answer-path-not-strings",
                'echo \'{"version": "3.11.7", "path": [1, {}], "bits": "64"}\'\n',
                "3.11.7",
                "3.11.7",
            ),
            ("env-interpreter-hangs-with-a-child", "sleep 300 &\nsleep 300\n", "3.11.7", "3.11.7"),
            (
                "env-interpreter-answers-then-hangs",
                'echo \'{"version": "3.11.9", "path": []}\'\n(sleep 300 &)\nexec sleep 300\n',
                "3.11.7",
                "3.11.7",
            ),
        )
    ),
    # ------------------------------------------------ 3 lint: a corrupt cache entry is a miss
    *(
        Case(name, 3, ("lint", "code", *J), 1, setup=setup, check=lint_found("missing-backward"))
        for name, setup in (
            ("lint-cache-deep-json", lint_cache_entry(b"[" * 100000)),
            *(
                (f"lint-cache-{field_name}-of-the-wrong-type", lint_cache_edited(field_name, value))
                for field_name, value in (("bases", [5]), ("nonstatic", [[5, "x"]]), ("name", {"a": 1}))
            ),
            ("lint-cache-fifo", lint_cache_entry(None)),
        )
    ),
    # ------------------------------------------------ 8 hostile environments: --redact by value
    redacted(
        "redact-home-outside-home",
        node(
            prefix="/data/u/alice/venv",
            location="/data/u/alice/venv/lib/python3.11/site-packages",
            env_vars=(("WORK", "/scratch/alice/run"),),
        ),
        ("alice", "/data/u"),
        shell={"HOME": "/data/u/alice", "USER": "alice", "LOGNAME": "alice"},
    ),
    redacted(
        "redact-gpu-serial-and-uuid-anywhere",
        node(
            uuid="GPU-5a1c",
            serial="1324019012345",
            env_vars=(("NODE_INFO", "serial 1324019012345 uuid GPU-5a1c"),),
        ),
        ("1324019012345", "GPU-5a1c"),
    ),
    redacted(
        "redact-this-hostname-anywhere",
        node(host=None, env_vars=(("LOGDIR", "/logs/buildhost42/run"),)),
        ("buildhost42",),
        also=lambda root, mp: mp.setattr("socket.gethostname", lambda: "buildhost42.example.org"),
    ),
    # ------------------------------------------------ 2 the JSON contract: fleet schema versions
    *(
        Case(
            f"fleet-newer-member-{order}",
            2,
            ("fleet", "nodes", *J),
            (0, 1),
            setup=both(
                snapshot_file(f"nodes/{first}.json", node(host="a")),
                snapshot_file(f"nodes/{second}.json", node(host="b"), schema_version=99),
            ),
            check=fleet_corrupt(f"{second}.json"),
        )
        for order, first, second in (("last", "a", "b"), ("first", "b", "a"))
    ),
    Case(
        "fleet-report-level-schema-version",
        2,
        ("fleet", "nodes", *J),
        (0, 1),
        setup=both(
            snapshot_file("nodes/a.json", node(host="a")),
            write(
                "nodes/b.json",
                json.dumps(
                    {
                        "schema_version": "1",
                        "environment": json.loads(dump_snapshot(node(host="b"))),
                        "findings": [],
                    }
                ),
            ),
        ),
        check=fleet_corrupt("b.json"),
    ),
    Case(
        "fleet-member-fifo",
        2,
        ("fleet", "nodes/a.json", "nodes/b.fifo", *J),
        (0, 1),
        setup=both(snapshot_file("nodes/a.json", node(host="a")), fifo("nodes/b.fifo")),
        check=fleet_corrupt("b.fifo"),
    ),
]
CASES += HOSTILE


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
    if case.raw is not None:
        case.raw(out, err, sandbox)
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
    elif "-o" in case.args and code == 0 and _json_requested(case):
        doc = json.loads((sandbox / case.args[case.args.index("-o") + 1]).read_text())
    if case.check is not None:
        case.check(doc if doc is not None else out, sandbox)
    assert lifecycle.children_of(os.getpid()) == [], "a process was left behind"
    pidfile = sandbox.parent / f"{sandbox.name}.pids"  # what a fake kernel started, if one ran
    if pidfile.exists():
        started = read_pids(pidfile)
        all_gone(started)
        survivors = [p for p in started if alive(p)]
        kill_all(survivors)
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
        pids = read_pids(pidfile, cli=cli)
        cli.send_signal(getattr(signal, name))
        out, err = cli.communicate(timeout=30)
        assert len(pids) == 3  # the kernel, a helper in its group, a helper in a session of its own
        assert cli.returncode == code and "Traceback" not in err
        assert json.loads(out)["error"] == {"message": f"interrupted by {name}", "exit_code": code}
        assert all_gone(pids), "a process survived the signal"
    finally:  # never leave a sleeper behind, even when the test fails
        kill_all(pids, cli)


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


# --------------------------------------------------------------------------- round 2: real processes
# What needs a process of its own: a closed or full stdout, a file-size limit, a signal
# in the middle of a parallel lint.


def _cli_env() -> dict[str, str]:
    return {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(REPO)}


def _cli(args: list[str], cwd: Path, **popen: Any) -> subprocess.CompletedProcess[bytes]:
    argv = [sys.executable, "-m", "compataudit", *args]
    return subprocess.run(argv, cwd=cwd, env=_cli_env(), timeout=120, check=False, **popen)


def _start_cli(args: list[str], cwd: Path, **popen: Any) -> subprocess.Popen[bytes]:
    """The CLI as a process of its own (to signal it), this checkout first on the path."""
    return subprocess.Popen([sys.executable, "-m", "compataudit", *args], cwd=cwd, env=_cli_env(), **popen)


def _close_stdout() -> None:
    os.close(1)


def _limit_file_size() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_FSIZE, (1000, 1000))


WHAT_IF_TEXT = list(NO_PROBE)
HOSTILE_PROCESSES = [
    ("closed-stdout-check", WHAT_IF_TEXT),
    ("closed-stdout-rules", ["rules"]),
    ("closed-stdout-rule", ["rule", "DRV001"]),
    ("full-stdout-check", [*WHAT_IF_TEXT, "-f", "json"]),
    ("full-stdout-rules", ["rules"]),
    ("full-stdout-rule", ["rule", "DRV001"]),
    ("file-size-limit", [*WHAT_IF_TEXT, "-f", "json", "-o", "out.json"]),
    ("dev-stdout", [*WHAT_IF_TEXT, "-f", "json", "-o", "/dev/stdout"]),
]


@pytest.mark.parametrize(("name", "args"), HOSTILE_PROCESSES, ids=[c[0] for c in HOSTILE_PROCESSES])
def test_a_hostile_stdout_or_limit(name: str, args: list[str], tmp_path: Path) -> None:
    if name.startswith("closed-stdout"):  # nobody to print to: the run still ends cleanly
        done = _cli(args, tmp_path, stderr=subprocess.PIPE, preexec_fn=_close_stdout)
        assert done.returncode == 0, done.stderr
    elif name.startswith("full-stdout"):  # a full disk behind stdout: exit 2, one line
        with Path("/dev/full").open("wb") as full:
            done = _cli(args, tmp_path, stdout=full, stderr=subprocess.PIPE)
        assert done.returncode == 2 and b"No space left on device" in done.stderr, done.stderr
        assert len(done.stderr.decode().strip().splitlines()) == 1
    elif name == "file-size-limit":  # EFBIG: exit 2 and no partial or temporary file
        done = _cli(args, tmp_path, capture_output=True, preexec_fn=_limit_file_size)
        assert done.returncode == 2 and b"File too large" in done.stderr, done.stderr
        # No partial report and no temporary file; the small JSON error document fits.
        assert [p.name for p in tmp_path.iterdir()] == ["out.json"]
        assert json.loads((tmp_path / "out.json").read_text())["error"]["exit_code"] == 2
    else:  # -o /dev/stdout writes through to the pipe, never replaces /dev/stdout
        before = Path("/dev/stdout").lstat()
        done = _cli(args, tmp_path, capture_output=True)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["schema_version"] == 1
        after = Path("/dev/stdout").lstat()
        assert (after.st_ino, after.st_mode) == (before.st_ino, before.st_mode)
    assert b"Traceback" not in done.stderr and b"internal error" not in done.stderr


LINT_SIGNALS = [("SIGINT", 130), ("SIGTERM", 143)]


@pytest.mark.parametrize(("name", "code"), LINT_SIGNALS)
def test_a_signal_ends_a_parallel_lint_with_a_busy_and_an_idle_worker(
    name: str, code: int, tmp_path: Path
) -> None:
    """One worker parses a file for seconds, the other waits for work, holding the task
    queue's lock: the run still ends within seconds, every worker with it."""
    code_dir = tmp_path / "code"
    code_dir.mkdir()
    (code_dir / "a_busy.py").write_text("x = " + "+".join(["(1)"] * 450_000) + "\n")
    for i in range(60):
        (code_dir / f"m{i:02}.py").write_text(LINT_SEED)
    args = ["lint", "--no-cache", "-j", "2", "code"]
    cli = _start_cli(args, tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    workers: list[int] = []
    try:
        for _ in range(400):  # until both workers run
            workers = lifecycle.children_of(cli.pid)
            if len(workers) >= 2 or cli.poll() is not None:
                break
            subprocess.run(["sleep", "0.05"], check=True)
        assert len(workers) >= 2, "the pool never started"
        subprocess.run(["sleep", "0.5"], check=True)  # the idle worker is waiting for work
        cli.send_signal(getattr(signal, name))
        _, err = cli.communicate(timeout=10)
        assert cli.returncode == code, err
        assert b"Traceback" not in err
        assert all_gone(workers), "a lint worker survived"
    finally:
        kill_all(workers, cli)


@pytest.mark.parametrize(("name", "code"), LINT_SIGNALS)
def test_a_signal_ends_an_env_interpreter_and_its_child(name: str, code: int, tmp_path: Path) -> None:
    """A hung ``--env`` interpreter and the child it started die with the run."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\nversion = 3.11.7\n")
    pidfile = tmp_path / "pids"
    script = venv / "bin" / "python"
    script.write_text(f"#!/bin/sh\nsleep 300 &\necho $$ $! > {pidfile}\nsleep 300\n")
    script.chmod(0o755)
    args = ["check", "--no-smoke", "--env", str(venv), "-f", "json"]
    cli = _start_cli(args, tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    pids: list[int] = []
    try:
        pids = read_pids(pidfile, 20.0, count=2, cli=cli)
        cli.send_signal(getattr(signal, name))
        out, err = cli.communicate(timeout=15)
        assert cli.returncode == code and b"Traceback" not in err, err
        assert json.loads(out)["error"]["exit_code"] == code
        assert all_gone(pids), "the interpreter or its child survived"
    finally:
        kill_all(pids, cli)


def test_a_long_environment_yml_parses_in_linear_time(tmp_path: Path) -> None:
    """20,000 dependencies (and a pip section of 2,000): seconds, not minutes."""
    import time

    lines = ["name: big", "dependencies:", *(f"  - pkg{i}=1.0.{i}" for i in range(20_000))]
    lines += ["  - pip:", *(f"    - pp{i}==1.0.{i}" for i in range(2_000))]
    (tmp_path / "env.yml").write_text("\n".join(lines) + "\n")
    from compataudit.inputs import read_stack_file

    start = time.perf_counter()
    stack = read_stack_file(str(tmp_path / "env.yml"))
    assert time.perf_counter() - start < 10
    assert len(stack.pins) == 2_000 and stack.pins[-1].where.endswith(":22003")


def test_lint_jobs_are_capped_at_a_few_per_core(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """``--jobs 10000`` starts four workers per core, not ten thousand."""
    import multiprocessing.context

    from compataudit.doctor import lint_run

    started: list[int] = []

    def fake_pool(self: object, processes: int, **kwargs: object) -> object:
        started.append(processes)
        raise RuntimeError("stop here")

    monkeypatch.setattr(multiprocessing.context.BaseContext, "Pool", fake_pool)
    files = [str(tmp_path / f"m{i}.py") for i in range(60)]
    with pytest.raises(RuntimeError):
        list(lint_run.summarize_all(files, jobs=10_000, cache_dir=None))
    assert started == [4 * lint_run.default_jobs()]


def test_the_hostile_round_adds_sixty_cases() -> None:
    assert len(HOSTILE) + len(HOSTILE_PROCESSES) + 2 * len(LINT_SIGNALS) >= 60
