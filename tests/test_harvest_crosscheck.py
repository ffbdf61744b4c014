"""Every fact of matrices/*.toml that wheel metadata can settle, against the recorded harvest.

The harvest (``matrices/harvested/*.json``, tools/harvest.py) is what the package index
itself says: the CPython versions each release ships Linux x86_64 wheels for, its
Requires-Python and Requires-Dist. A disagreeing row fails with file, row, field, our value
and the wheel's value. Facts metadata cannot settle (GPU architectures, driver minimums,
tested builds) are not compared here. Offline: reads only the recorded files.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from compataudit.compat import jax as jax_compat
from compataudit.compat import keras as keras_compat
from compataudit.compat import tensorflow as tf_compat
from compataudit.compat import torch as torch_compat
from compataudit.compat.matrices import Matrices, load_matrices
from compataudit.versions import cuda_variant, minor_of
from tests.harvest_facts import (
    PYTHON_MINORS,
    Ledger,
    Release,
    allows_minor,
    exact,
    floor,
    harvest_date,
    of_minor,
    releases,
    since,
)


def _spec(text: str | None) -> SpecifierSet | None:
    return SpecifierSet(text) if text else None


def _ours_pythons(spec: str, experimental: Iterable[str] = ()) -> set[str]:
    return {m for m in PYTHON_MINORS if allows_minor(spec, m)} | set(experimental)


def _compare_pythons(
    ledger: Ledger,
    where: str,
    spec: str | None,
    extra: Iterable[str],
    shipped: tuple[set[str], bool],
    evidence: str,
) -> None:
    """Our Python range against the wheels: every shipped Python must be in it (else a
    false PY001); a bounded range must not admit Pythons without wheels either."""
    if spec is None:
        return
    ours = _ours_pythons(spec, ())
    theirs, open_ended = shipped
    theirs = theirs - set(extra)  # "experimental" minors: documented previews, not compared
    if not theirs:
        return
    if open_ended or max(ours) == PYTHON_MINORS[-1]:
        # an open range (ours or the wheels'): compare up to the newest Python both know
        top = max(theirs, key=Version) if not open_ended else max(ours, key=Version)
        ours = {m for m in ours if Version(m) <= Version(top)}
        theirs = {m for m in theirs if Version(m) <= Version(top)}
    ledger.compare(where, "Python", sorted(ours, key=Version), sorted(theirs, key=Version), evidence)


# ----------------------------------------------------------------------------- torch


def _default_build(release: Release) -> tuple[str | None, str | None, str | None]:
    """(variant, CUDA, cuDNN) of the plain PyPI wheel, from its cuda-toolkit / nvidia-* pins."""
    toolkit = exact(release.pin("cuda-toolkit"))
    cudnn = next(
        (
            exact(release.pin(f"nvidia-cudnn-cu{m}"))
            for m in (11, 12, 13)
            if release.pin(f"nvidia-cudnn-cu{m}")
        ),
        None,
    )
    runtime = next(
        (
            exact(release.pin(f"nvidia-cuda-runtime-cu{m}"))
            for m in (11, 12, 13)
            if release.pin(f"nvidia-cuda-runtime-cu{m}")
        ),
        None,
    )
    cuda = toolkit or runtime
    return (cuda_variant(cuda) if cuda else None), toolkit, cudnn


def check_torch(m: Matrices, ledger: Ledger) -> None:
    view = torch_compat.torch_matrix(m)
    torch = releases("torch", "torch")
    for row in view.releases:
        where = f"matrices/torch.toml [[release]] torch={row.minor}"
        patches = of_minor(torch, row.minor)
        if not patches:
            continue
        shipped: set[str] = set()
        for rel in patches:
            shipped |= rel.linux_pythons()[0]
        _compare_pythons(
            ledger,
            where,
            row.python,
            row.python_experimental,
            (shipped, False),
            "cp tags of " + ", ".join(str(r.version) for r in patches),
        )
        for rel in patches:
            variant, toolkit, cudnn = _default_build(rel)
            if variant is None:
                continue  # no CUDA pins (1.12 bundles CUDA): documents decide
            ledger.compare(
                where,
                f"default_variant of torch=={rel.version}",
                row.default_variant,
                variant,
                rel.metadata_file,
            )
            info = torch_compat.variant_info(m, row.minor, variant)
            vwhere = f"matrices/torch.toml [[variant]] torch={row.minor} variant={variant}"
            if info is None:
                ledger.require(vwhere, "no row for the default build", False, rel.metadata_file)
                continue
            if cudnn:
                ledger.compare(vwhere, f"cudnn of torch=={rel.version}", info.cudnn, cudnn, rel.metadata_file)
            if toolkit and info.cuda:
                ledger.compare(vwhere, f"cuda of torch=={rel.version}", info.cuda, toolkit, rel.metadata_file)
    newest = torch_compat.newest_release(m)
    for version in torch:
        ledger.require(
            "matrices/torch.toml [[release]]",
            f"torch {version} has a row",
            torch_compat.release_for(m, str(version)) is not None,
            f"torch {version} is on the index; newest row {newest.minor if newest else None}",
        )


def _check_extension(m: Matrices, ledger: Ledger, name: str) -> None:
    view = torch_compat.torch_matrix(m)
    rows = view.torchvision if name == "torchvision" else view.torchaudio
    found = {v: r for v, r in releases("torch", name).items() if not r.record.get("yanked")}
    for version, rel in found.items():
        spec = rel.pin("torch")
        pinned = exact(spec)
        if name == "torchvision":
            row: Any = torch_compat.torch_for_torchvision(m, str(version), pinned or floor(spec))
        else:
            row = torch_compat.audio_row(m, str(version))
        where = f"matrices/torch.toml [[{name}]] {name}={minor_of(str(version))}"
        ledger.require(where, f"{name} {version} has a row", row is not None, rel.metadata_file)
        if row is None:
            continue
        pairs = {Version(b): Version(a) for a, b in row.pairs}
        if pinned:
            ledger.compare(
                where,
                f"torch pair of {name} {version}",
                pairs.get(version),
                Version(pinned),
                f"{rel.metadata_file}: torch{spec}",
            )
        bound = pinned or floor(spec)
        if bound and name == "torchvision":
            ledger.compare(
                where,
                f"torch minor of {name} {version}",
                row.torch,
                minor_of(bound),
                f"{rel.metadata_file}: torch{spec}",
            )
        elif bound:
            ledger.require(
                where,
                f"torch range {row.torch} admits {bound}",
                Version(bound) in SpecifierSet(row.torch),
                f"{rel.metadata_file}: torch{spec}",
            )
    for row in rows:
        where = f"matrices/torch.toml [[{name}]] {name}={getattr(row, name)}"
        for torch_version, paired in row.pairs:
            partner = found.get(Version(paired))
            declared = partner.pin("torch") if partner else None
            ledger.require(
                where,
                f"pair ({torch_version}, {paired}): {name} {paired} accepts torch {torch_version}",
                partner is not None and (declared is None or Version(torch_version) in declared),
                f"{partner.metadata_file}: torch{declared}" if partner else "no such (unyanked) release",
            )
        patches = of_minor(found, getattr(row, name))
        if row.python and patches:
            shipped: set[str] = set()
            open_ended = False
            for rel in patches:
                pythons, rel_open = rel.linux_pythons()
                shipped |= pythons
                open_ended |= rel_open
            _compare_pythons(
                ledger,
                where,
                row.python,
                (),
                (shipped, open_ended),
                "wheels of " + ", ".join(str(r.version) for r in patches),
            )


# ----------------------------------------------------------------------------- jax


def check_jax(m: Matrices, ledger: Ledger) -> None:
    jax = releases("jax", "jax")
    jaxlib = releases("jax", "jaxlib")
    view = jax_compat.jax_view(m)
    for row in view.releases:
        where = f"matrices/jax.toml [[release]] version={row.version}"
        rel = jax.get(row.version)
        ledger.require(where, "a jax release", rel is not None, "the index's jax releases")
        if rel is None:
            continue
        # before 0.4.30 jaxlib came only with an extra: version.py (a document) decides
        if rel.pin("jaxlib") is not None:
            ledger.compare(
                where,
                "min_jaxlib",
                str(row.min_jaxlib),
                floor(rel.pin("jaxlib")),
                f"{rel.metadata_file}: jaxlib{rel.pin('jaxlib')}",
            )
        numpy = floor(rel.pin("numpy"))
        if numpy:
            ledger.compare(
                where,
                "numpy floor",
                floor(SpecifierSet(row.numpy)),
                numpy,
                f"{rel.metadata_file}: numpy{rel.pin('numpy')}",
            )
        lib = jaxlib.get(row.version)
        if lib is not None:
            _compare_pythons(
                ledger,
                where,
                row.python,
                (),
                lib.linux_pythons(),
                f"jaxlib {row.version} wheels; jax Requires-Python {rel.requires_python}",
            )
        _compare_jax_cudnn(ledger, where, row)
    oldest = min(r.version for r in view.releases)
    for version in jax:
        if version >= oldest:
            ledger.require(
                "matrices/jax.toml [[release]]",
                f"jax {version} has a row",
                jax_compat.jax_release(m, str(version)) is not None,
                "on the index",
            )


def _compare_jax_cudnn(ledger: Ledger, where: str, row: jax_compat.JaxRelease) -> None:
    """cudaNN_cudnn: the floor of the plugin wheel's nvidia-cudnn-cuNN Requires-Dist."""
    for major in (12, 13):
        plugins = releases("jax", f"jax-cuda{major}-plugin")
        plugin = plugins.get(row.version) or plugins.get(row.jaxlib)
        if plugin is None:
            no_plugin = major not in row.cudnn
            ledger.require(where, f"no cuda{major}_cudnn without a plugin", no_plugin, "no wheel")
            continue
        wheel = f"nvidia-cudnn-cu{major}"
        pin = plugin.pin(wheel, extra="with-cuda") or plugin.pin(wheel, extra="with_cuda")
        evidence = f"{plugin.metadata_file}: {wheel}{pin}"
        ledger.compare(where, f"cuda{major}_cudnn", row.cudnn.get(major), floor(pin), evidence)


# ----------------------------------------------------------------------------- TensorFlow


def check_tensorflow(m: Matrices, ledger: Ledger) -> None:
    tf = releases("tensorflow", "tensorflow")
    view = tf_compat.tensorflow_matrix(m)
    for row in view.releases:
        where = f"matrices/tensorflow.toml [[release]] version={row.version}"
        rel = tf.get(Version(row.version))
        ledger.require(where, "a tensorflow release", rel is not None, "the index")
        if rel is None:
            continue
        evidence = rel.metadata_file
        raw = next(r for r in m.rows("tensorflow", "release") if r["version"] == row.version)
        documented = set(raw.get("documented", ()))
        if row.requires_python:
            ledger.compare(
                where, "requires_python", _spec(row.requires_python), _spec(rel.requires_python), evidence
            )
        for key, dist in (
            ("numpy", "numpy"),
            ("protobuf", "protobuf"),
            ("ml_dtypes", "ml-dtypes"),
            ("keras", "keras"),
        ):
            ours, theirs = getattr(row, key), rel.pin(dist)
            if key in documented:
                ledger.document_sourced += 1
            elif ours is not None or theirs is not None:
                ledger.compare(where, key, _spec(ours), theirs, evidence)
        theirs_cuda = {(r.name, r.specifier) for r in rel.requirements(extra="and-cuda")}
        and_cuda = {pin for pin in theirs_cuda if pin[0].startswith("nvidia-")}  # not tensorrt
        ours_cuda = {(r.name, r.specifier) for r in map(Requirement, row.and_cuda)}
        if ours_cuda or and_cuda:
            ledger.compare(
                where, "and_cuda", sorted(map(str, ours_cuda)), sorted(map(str, and_cuda)), evidence
            )
        minor = of_minor(tf, row.minor)
        ledger.compare(
            where, "newest_patch", row.newest_patch, str(minor[-1].version), "the index's tensorflow releases"
        )
        shipped: set[str] = set()
        for patch in minor:
            if patch.version >= Version(row.version):
                shipped |= patch.linux_pythons()[0]
        _compare_pythons(
            ledger,
            where,
            row.python,
            (),
            (shipped, False),
            f"cp tags of tensorflow {row.minor} wheels >= {row.version}",
        )
    for version in tf:
        ledger.require(
            "matrices/tensorflow.toml [[release]]",
            f"tensorflow {version} has a row",
            any(r.minor == minor_of(str(version)) for r in view.releases),
            "on the index",
        )


def check_keras(m: Matrices, ledger: Ledger) -> None:
    km = keras_compat.keras_matrix(m)
    keras = releases("keras", "keras")
    for version, rel in keras.items():
        if version.major != 3:
            continue
        row = max(
            (r for r in km.keras3 if Version(r.version) <= version),
            key=lambda r: Version(r.version),
            default=None,
        )
        where = f"matrices/keras.toml [[keras3]] version={row.version if row else None}"
        ledger.compare(
            where,
            f"requires_python of keras {version}",
            _spec(row.requires_python if row else None),
            _spec(rel.requires_python),
            rel.metadata_file,
        )
    for pair in km.keras2:
        where = f"matrices/keras.toml [[keras2]] tensorflow={pair.tensorflow}"
        newest = of_minor(keras, minor_of(pair.keras) or "")
        ledger.compare(
            where,
            "keras (newest of its minor)",
            pair.keras,
            str(newest[-1].version) if newest else None,
            "the index's keras releases",
        )
    tf_keras = releases("keras", "tf-keras")
    for version, rel in tf_keras.items():
        tfk = next((r for r in km.tf_keras if Version(r.version) == version), None)
        where = f"matrices/keras.toml [[tf_keras]] version={version}"
        if tfk is None:
            ledger.require(
                where,
                "a row for every tf-keras minor",
                any(minor_of(r.version) == minor_of(str(version)) for r in km.tf_keras),
                rel.metadata_file,
            )
            continue
        ledger.compare(
            where,
            "requires_python",
            _spec(tfk.requires_python),
            _spec(rel.requires_python),
            rel.metadata_file,
        )
        ledger.compare(where, "tensorflow", _spec(tfk.tensorflow), rel.pin("tensorflow"), rel.metadata_file)


CHECKS = (
    check_torch,
    lambda m, ledger: _check_extension(m, ledger, "torchvision"),
    lambda m, ledger: _check_extension(m, ledger, "torchaudio"),
    check_jax,
    check_tensorflow,
    check_keras,
)


@pytest.fixture(scope="module")
def ledger() -> Ledger:
    m = load_matrices()
    book = Ledger()
    for check in CHECKS:
        check(m, book)
    return book


def test_every_metadata_settled_fact_agrees_with_the_wheels(ledger: Ledger) -> None:
    print(
        f"\n{ledger.facts} facts of {len(ledger.rows)} rows compared with the harvest; "
        f"{ledger.document_sourced} declared document-sourced"
    )
    assert not ledger.disagreements, (
        f"{len(ledger.disagreements)} of {ledger.facts} facts disagree with the index's "
        "metadata:\n" + "\n".join(ledger.disagreements)
    )


def test_the_cross_check_covers_the_matrices(ledger: Ledger) -> None:
    # the comparison must really run over the data, not pass by finding nothing to compare
    assert ledger.facts > 800 and len(ledger.rows) > 150


def test_the_harvest_is_recorded_for_every_family() -> None:
    for family, package in (
        ("torch", "torch"),
        ("tensorflow", "tensorflow"),
        ("keras", "keras"),
        ("jax", "jax"),
        ("cuda", "nvidia-cudnn-cu12"),
    ):
        assert releases(family, package), family
        assert since(family, package) <= min(releases(family, package))
        assert len(harvest_date(family)) == 10
