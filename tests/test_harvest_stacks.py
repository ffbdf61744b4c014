"""The stacks compataudit prints or judges, against what the index says installs.

* every set `matrix compatible` prints is installable per the recorded Requires-Dist
  (each release exists, ships a wheel for the Python, and accepts its partners);
* real stacks taken from the index - every torch / TensorFlow release on every CPython it
  ships, every torchvision / torchaudio with the torch its wheel pins, every jax with the
  oldest jaxlib its wheel accepts, plain torch (its default CUDA build) on a CUDA 13.0 driver -
  get no error: pip installs them, so an error would be a false alarm.
Offline: reads only the recorded harvest (matrices/harvested/).
"""

from __future__ import annotations

from packaging.version import Version

from compataudit.checks import CheckContext, run_checks
from compataudit.compat.matrices import Matrices
from compataudit.model import Severity
from compataudit.options import EnvOptions
from compataudit.plan.ci_matrix import Query, compatible_sets
from compataudit.sources.whatif import apply_what_if, empty_environment
from tests.harvest_facts import Ledger, allows_minor, exact, floor, releases


def _installable(versions: dict[str, str], python: str, ledger: Ledger) -> None:
    family = {
        "torch": "torch",
        "torchvision": "torch",
        "torchaudio": "torch",
        "jax": "jax",
        "jaxlib": "jax",
        "tensorflow": "tensorflow",
        "tensorflow-cpu": "tensorflow",
        "keras": "keras",
    }
    found = {name: releases(family[name], name).get(Version(v)) for name, v in versions.items()}
    where = f"matrix compatible {' '.join(f'{k}=={v}' for k, v in versions.items())} (Python {python})"
    for name, rel in found.items():
        ledger.require(where, f"{name}=={versions[name]} is on the index", rel is not None, "index")
        if rel is None:
            continue
        ledger.require(
            where,
            f"{name}=={versions[name]} has a wheel for Python {python}",
            python in rel.linux_pythons()[0],
            rel.metadata_file,
        )
        for req in rel.requirements(python):
            dep = req.name.lower()
            if dep in versions and dep != name:
                ledger.require(
                    where,
                    f"{name} {rel.version} requires {dep}{req.specifier}",
                    Version(versions[dep]) in req.specifier,
                    rel.metadata_file,
                )


def check_printed_sets(m: Matrices, ledger: Ledger) -> None:
    for python in ("3.10", "3.11", "3.12", "3.13", "3.14"):
        for packages in (
            ("torch", "torchvision", "torchaudio"),
            ("jax", "jaxlib"),
            ("tensorflow", "keras"),
            ("tensorflow-cpu", "keras"),
        ):
            for versions in compatible_sets(m, Query(packages, python=python)):
                _installable(versions, python, ledger)


def test_every_printed_set_is_installable(matrices: Matrices) -> None:
    ledger = Ledger()
    check_printed_sets(matrices, ledger)
    assert ledger.facts > 500, ledger.facts  # it really looked at sets
    assert not ledger.disagreements, "\n".join(ledger.disagreements)


def _key(python: str) -> tuple[int, ...]:
    return tuple(map(int, python.split(".")))


def _real_stacks() -> list[tuple[tuple[str, ...], str, str | None]]:
    """(pins, Python, driver) of stacks pip installs from the index, per the harvest."""
    stacks: list[tuple[tuple[str, ...], str, str | None]] = []
    torch = releases("torch", "torch")
    for v, rel in torch.items():
        stacks += [((f"torch=={v}",), py, None) for py in rel.linux_pythons()[0]]
        toolkit = exact(rel.pin("cuda-toolkit")) or exact(rel.pin("nvidia-cuda-runtime-cu12"))
        if toolkit and Version(toolkit) < Version("13.1"):  # 580.65.06 is CUDA 13.0's driver
            stacks.append(((f"torch=={v}",), min(rel.linux_pythons()[0], key=_key), "580.65.06"))
    for name in ("torchvision", "torchaudio"):
        for v, rel in releases("torch", name).items():
            pinned = exact(rel.pin("torch"))
            partner = torch.get(Version(pinned)) if pinned else None
            if partner is None or rel.record.get("yanked"):
                continue
            common = rel.linux_pythons()[0] & partner.linux_pythons()[0]
            stacks += [((f"torch=={pinned}", f"{name}=={v}"), py, None) for py in common]
    jaxlib = releases("jax", "jaxlib")
    for v, rel in releases("jax", "jax").items():
        oldest = floor(rel.pin("jaxlib"))
        lib = jaxlib.get(Version(oldest)) if oldest else None
        both = {py for py in (lib.linux_pythons()[0] if lib else ()) if allows_minor(rel.requires_python, py)}
        if both:
            stacks.append(((f"jax=={v}", f"jaxlib=={oldest}"), min(both, key=_key), None))
    for v, rel in releases("tensorflow", "tensorflow").items():
        stacks += [((f"tensorflow=={v}",), py, None) for py in rel.linux_pythons()[0]]
    return stacks


def test_real_stacks_from_the_index_get_no_error(matrices: Matrices) -> None:
    stacks = _real_stacks()
    false = []
    for pins, python, driver in stacks:
        gpus = ("8.6",) if driver else ()
        opts = EnvOptions(pins=pins, python=python + ".9", driver=driver, gpu_ccs=gpus)
        env = apply_what_if(empty_environment(), opts)
        for f in run_checks(CheckContext(env, matrices)):
            # the families' own verdicts (a what-if stack has no numpy etc. to judge)
            if f.severity is Severity.ERROR and f.code.startswith(("PY", "TCH", "JAX", "DRV", "MAT")):
                false.append(f"{' '.join(pins)} on Python {python} {driver or ''}: {f.code} {f.title}")
            if f.code == "MAT001" or (driver and f.code.startswith("DRV")):
                false.append(f"{' '.join(pins)} on Python {python} {driver or ''}: {f.code} {f.title}")
    assert len(stacks) > 600
    assert not false, f"{len(false)} false verdicts on {len(stacks)} real stacks:\n" + "\n".join(false)
