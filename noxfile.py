"""compataudit's own sessions: ``nox -l`` lists them.

* ``tests``, ``lint``, ``typecheck`` - the default run (plus ``gpu`` where ``nvidia-smi``
  exists: the smoke kernels on every CUDA device);
* ``package`` - build the wheel, check the matrices are inside, install it in a fresh
  venv and audit with it (its JSON report must validate against the packaged schema);
* ``matrix`` - one session per framework version set drawn from our own matrices
  (``compataudit.plan.ci_matrix``, only sets for the session's Python). Each installs its set
  and writes ``reports/<cell>.json`` with ``compataudit check``. A cell whose packages
  are not on this machine's local package sources, or that resolves to a CUDA build,
  is skipped with the reason (``COMPATAUDIT_MATRIX_ONLINE=1`` / ``..._ALLOW_CUDA=1`` lift
  that); select cells with ``-k``, e.g. ``nox -s matrix -k torch``;
* ``matrix_report`` - merge ``reports/*.json`` into one table.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))  # the matrix cells come from this checkout's data

import compataudit.nox as ca  # noqa: E402
from compataudit.formats.schema import validate_report  # noqa: E402
from compataudit.plan.ci_matrix import cell_id  # noqa: E402

PYPROJECT = nox.project.load_toml(str(ROOT / "pyproject.toml"))
REPORTS = ROOT / "reports"
SESSION_PYTHON = f"{sys.version_info[0]}.{sys.version_info[1]}"
# (packages, newest N sets) per framework family; never torch without a version
MATRIX_FAMILIES: tuple[tuple[tuple[str, ...], int], ...] = (
    (("torch",), 3),
    (("tensorflow-cpu", "keras"), 2),
    (("jax", "jaxlib"), 2),
)

# `gpu` joins the default run where there is a GPU to run it on.
nox.options.sessions = ["tests", "lint", "typecheck"] + (["gpu"] if shutil.which("nvidia-smi") else [])
nox.options.reuse_existing_virtualenvs = True


PYTORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def pip_sources(config_list: str, environ: Mapping[str, str]) -> list[str]:
    """Every index and find-links location pip is configured with: the output of
    ``pip config list`` (``global.find-links='/srv/wheels'``) and the ``PIP_*`` variables."""
    found: list[str] = []
    for line in config_list.splitlines():
        key, _, value = line.partition("=")
        if key.rsplit(".", 1)[-1] in ("index-url", "extra-index-url", "find-links"):
            found += value.strip().strip("'\"").split()
    for name in ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS"):
        found += environ.get(name, "").split()
    return found


def _local_wheels(source: str, project: str) -> list[Path]:
    """Wheels of ``project`` in a local find-links folder or ``file://`` simple index."""
    if "://" in source and not source.startswith("file://"):
        return []
    folder = Path(source.removeprefix("file://"))
    if not folder.is_dir():
        return []
    return [*folder.glob(f"{project}-*.whl"), *(folder / project).glob(f"{project}-*.whl")]


def cpu_framework_args(
    requirements: Sequence[str], sources: Sequence[str], system: str = platform.system()
) -> list[str]:
    """``requirements`` as pip arguments that never pull a CUDA build of torch.

    On Linux and Windows PyPI's ``torch==X`` is a CUDA build (plus its nvidia-* wheels), so
    the pin becomes ``torch==X+cpu``; PyPI has no such wheel, so PyTorch's CPU index is added
    as an extra index unless a local source (a find-links folder, a ``file://`` index)
    already holds it - a machine with a local mirror never needs the network for it. macOS
    wheels on PyPI are CPU builds already: left as they are.
    """
    if system == "Darwin":
        return list(requirements)
    args, pinned = [], None
    for req in requirements:
        name, sep, version = req.partition("==")
        if name.strip().lower() == "torch" and sep and "+" not in version:
            pinned = version.strip()
            req = f"torch=={pinned}+cpu"
        args.append(req)
    if pinned is None:
        return args
    local = any(p.name.startswith(f"torch-{pinned}+cpu-") for s in sources for p in _local_wheels(s, "torch"))
    return args if local else [*args, "--extra-index-url", PYTORCH_CPU_INDEX]


@nox.session
def tests(session: nox.Session) -> None:
    """pytest, with the pinned CPU builds of torch / TensorFlow / Keras / JAX the smoke
    tests run for real (`nox -s tests -- -m "not frameworks"` skips those)."""
    config = subprocess.run(
        [sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True, check=False
    ).stdout
    frameworks = cpu_framework_args(
        nox.project.dependency_groups(PYPROJECT, "frameworks"), pip_sources(config, os.environ)
    )
    session.install("-e", ".", *nox.project.dependency_groups(PYPROJECT, "test"), *frameworks)
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check over the package, the tests, benchmarks and this file."""
    session.install(*nox.project.dependency_groups(PYPROJECT, "lint"))
    paths = session.posargs or ["compataudit", "tests", "tools", "noxfile.py", "benchmarks", "hatch_build.py"]
    session.run("ruff", "check", *paths)
    session.run("ruff", "format", "--check", *paths)


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict with the files list of pyproject.toml."""
    session.install("-e", ".", *nox.project.dependency_groups(PYPROJECT, "typecheck"))
    session.run("mypy", "--strict", *session.posargs)


@nox.session
def package(session: nox.Session) -> None:
    """Build the wheel, install it in this fresh venv, audit with it, validate the report."""
    tmp = Path(session.create_tmp()).resolve()
    dist = tmp / "dist"
    session.run("python", "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(dist), str(ROOT))
    wheel = max(dist.glob("compataudit-*.whl"), key=lambda p: p.stat().st_mtime)
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {f"compataudit/matrices/{p.name}" for p in (ROOT / "matrices").glob("*.toml")}
    expected |= {"compataudit/report.schema.json", "compataudit/matrices/_compiled.json"}
    missing = sorted(expected - names)
    if missing:
        session.error(f"{wheel.name} lacks {', '.join(missing)}")
    session.install("--force-reinstall", "--no-deps", str(wheel))
    session.install(str(wheel))  # its dependencies
    report = tmp / "report.json"
    with session.chdir(tmp):  # away from the checkout: import the installed copy only
        session.run(
            "compataudit", "check", "--no-smoke", "--format", "json", "-o", str(report), success_codes=[0, 1]
        )
        session.run("python", "-c", _VALIDATE, str(report))
        # The same judgement through the installed CLI (only its runtime dependencies:
        # the built-in validator, not jsonschema).
        session.run("compataudit", "schema", "--validate", str(report))


_VALIDATE = """
import json, sys
import compataudit, compataudit.formats.schema as s
assert "site-packages" in compataudit.__file__, compataudit.__file__
from compataudit.compat.matrices import COMPILED_NAME, default_directory, load_matrices
assert (default_directory() / COMPILED_NAME).is_file(), "no pre-parsed matrices in the wheel"
m = load_matrices()
assert m.get("torch") and m._compiled, "the pre-parsed matrices were not used"
errors = s.validate_report(json.load(open(sys.argv[1])))
sys.exit("\\n".join(errors) if errors else 0)
"""


def _cells() -> list[dict[str, str]]:
    cells: list[dict[str, str]] = []
    for packages, latest in MATRIX_FAMILIES:
        cells += ca.compatible_sets(*packages, python=SESSION_PYTHON, latest=latest)
    return cells


@nox.session
@nox.parametrize("cell", [nox.param(c, id=cell_id(c)) for c in _cells()])
def matrix(session: nox.Session, cell: dict[str, str]) -> None:
    """Install one version set and audit it: reports/<cell>.json."""
    args = ca.install_args(cell)
    reason = _skip_reason(session, cell, args)
    if reason:
        session.skip(reason)
    session.install(*args)
    session.install(str(ROOT))
    REPORTS.mkdir(exist_ok=True)
    out = REPORTS / f"{cell_id(cell)}.json"
    with session.chdir(session.create_tmp()):
        session.run("compataudit", "check", "--format", "json", "-o", str(out), success_codes=[0, 1])
    data = json.loads(out.read_text(encoding="utf-8"))
    errors = validate_report(data)
    if errors:
        session.error(f"{out.name} does not match the report schema: {errors[0]}")
    env, smoke = ca.read_report(data)
    problems = ca.cell_differences(env, cell, smoke)
    if problems:
        session.error(f"{cell_id(cell)}: " + "; ".join(problems))
    session.log(
        f"{cell_id(cell)}: exit {data['summary']['exit_code']}, "
        f"{sum(r.status.value == 'pass' for r in smoke)} smoke kernel(s) passed"
    )


def _skip_reason(session: nox.Session, cell: dict[str, str], args: list[str]) -> str | None:
    """Resolve the cell with pip --dry-run first: no multi-GB surprise downloads."""
    python = Path(str(session.bin)) / "python"
    report = Path(session.create_tmp()).resolve() / "pip-report.json"
    done = subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--dry-run",
            "--quiet",
            "--ignore-installed",
            "--report",
            str(report),
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["pip failed"])[-1]
        return f"does not install here: {last}"
    return ca.skip_reason(
        json.loads(report.read_text(encoding="utf-8")),
        cell,
        allow_download=os.environ.get("COMPATAUDIT_MATRIX_ONLINE") == "1",
        allow_cuda=os.environ.get("COMPATAUDIT_MATRIX_ALLOW_CUDA") == "1",
    )


@nox.session
def gpu(session: nox.Session) -> None:
    """Where an NVIDIA GPU is present: the smoke kernels on every CUDA device, every dtype.

    Installs the PyPI torch (a CUDA build on Linux x86_64; pass other pins as
    arguments: `nox -s gpu -- torch==2.13.0 "jax[cuda13]==0.10.2"`) and fails unless
    every kernel passes on a `cuda` device. Runs by default only where `nvidia-smi` exists.
    """
    session.install("-e", ".", *(session.posargs or ["torch==2.13.0"]))
    REPORTS.mkdir(exist_ok=True)
    report = REPORTS / "gpu-smoke.json"
    session.run("compataudit", "smoke", "--device", "cuda", "--format", "json", "-o", str(report))
    data = json.loads(report.read_text())
    on_gpu = [r for r in data["smoke"] if r["device"].startswith("cuda")]
    if not on_gpu:
        session.error("no smoke kernel ran on a CUDA device")
    session.log(f"{len(on_gpu)} kernel(s) passed on CUDA devices")


@nox.session(venv_backend="none")
def matrix_report(session: nox.Session) -> None:
    """Merge reports/*.json (from `nox -s matrix`) into one table."""
    print(ca.merge_reports(REPORTS.glob("*.json")))


def _loopback_pytest(session: nox.Session, *tests: str) -> None:
    """pytest on ``tests`` inside a network namespace with only ``lo`` up (root), so the
    cluster engines bind and talk on 127.0.0.1 and reach nothing else."""
    args = ["pytest", "-m", "cluster", "-rs", *tests, *session.posargs]
    if Path("/proc/net/dev").read_text().count(":") == 1:  # already in such a namespace
        session.run(*args)
        return
    if not shutil.which("unshare") or os.geteuid() != 0:
        session.skip("needs root and unshare: a network namespace with only lo (loopback only)")
    try:
        python = str(Path(str(session.bin)) / "python")
    except ValueError:  # venv_backend="none": this interpreter
        python = sys.executable
    inner = "ip link set lo up && exec " + " ".join([python, "-m", *args])
    session.run("unshare", "-n", "sh", "-c", inner, external=True)


@nox.session
def ray(session: nox.Session) -> None:
    """Optional: `collect --ray` on a real local 3-node Ray cluster (ray.cluster_utils), on loopback."""
    session.install("-e", ".[ray]", *nox.project.dependency_groups(PYPROJECT, "test"))
    _loopback_pytest(session, "tests/plan/test_collect_ray.py")


@nox.session(venv_backend="none")
def slurm(session: nox.Session) -> None:
    """Optional: the Slurm prolog and sbatch collection through a real single-node Slurm
    (Debian's slurm-wlm + munge: apt-get install slurm-wlm munge), on loopback.

    Runs in the current environment (no virtualenv): slurmd starts the job steps, and they
    must find compataudit and its dependencies where the job's PATH points.
    """
    missing = [b for b in ("slurmctld", "slurmd", "munged") if not shutil.which(b)]
    if missing:
        session.skip(f"not installed: {', '.join(missing)} (apt-get install slurm-wlm munge)")
    _loopback_pytest(session, "tests/plan/test_slurm_gate.py")
