"""TensorFlow: a typed view of ``matrices/tensorflow.toml`` and the questions checks ask of it.

Which installed distribution is "TensorFlow" (the package has many names: ``tensorflow``,
``tensorflow-cpu``, ``tf-nightly``, ...), which release row describes a version, what a build
was compiled for (``resolve_build``), and which complete TensorFlow stacks fit a Python, a
driver's CUDA and a set of GPUs (``compatible_stacks`` / ``suggest_build``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from packaging.version import Version

from compataudit.compat import keras as keras_compat
from compataudit.compat._rows import RowReader, read_rows
from compataudit.compat.arch_ceiling import tf_ptx_fails
from compataudit.compat.builds import ResolvedBuild
from compataudit.compat.cuda import arch_supported
from compataudit.compat.matrices import Matrices, load_matrices
from compataudit.distributions import TENSORFLOW
from compataudit.model import Environment, Package, ProbeStatus
from compataudit.versions import cuda_variant, in_range, major_minor, minor_of, parse_version

MATRIX = "tensorflow"
BUILD_KINDS = ("default", "cuda", "cpu", "rocm", "unknown")


# --------------------------------------------------------------------------- the view


class TfVariant(NamedTuple):
    name: str  # canonical distribution name
    build: str  # one of BUILD_KINDS
    nightly: bool
    sources: tuple[str, ...]


class TfPlatform(NamedTuple):
    system: str
    machine: str  # "*" = any
    cuda_releases: str  # specifier of releases that are CUDA builds; "" = none
    sources: tuple[str, ...]


class TfRelease(NamedTuple):
    version: str  # the first release these facts hold for: "2.15.1"
    minor: str  # "2.15"
    newest_patch: str
    python: str  # specifier of the tested Python range
    requires_python: str | None
    cuda: str | None  # tested CUDA major.minor
    cudnn: str | None
    build_cuda: str | None  # build_info.py cuda_version
    archs: tuple[str, ...]
    numpy: str | None
    numpy_major: int | None  # 1: compiled against numpy 1.x
    protobuf: str | None
    ml_dtypes: str | None
    keras: str | None  # the keras requirement of the wheel
    and_cuda: tuple[str, ...]
    sources: tuple[str, ...]

    @property
    def build_cuda_minor(self) -> str | None:
        mm = major_minor(self.build_cuda or self.cuda)
        return f"{mm[0]}.{mm[1]}" if mm else None


class TensorFlowMatrix(NamedTuple):
    variants: tuple[TfVariant, ...]
    platforms: tuple[TfPlatform, ...]
    releases: tuple[TfRelease, ...]  # oldest first

    def variant(self, name: str) -> TfVariant | None:
        return next((v for v in self.variants if v.name == name), None)

    def platform(self, system: str, machine: str) -> TfPlatform | None:
        for p in self.platforms:
            if p.system.lower() == system.lower() and p.machine in ("*", machine):
                return p
        return None

    def release_for(self, version: str | None) -> TfRelease | None:
        """The row describing ``version`` (same minor, greatest row version not above it)."""
        parsed = parse_version(version)
        minor = minor_of(parsed)
        if parsed is None or minor is None:
            return None
        rows = [r for r in self.releases if r.minor == minor]
        if not rows:
            return None
        public = Version(parsed.public)
        fitting = [r for r in rows if Version(r.version) <= public]
        return fitting[-1] if fitting else rows[0]

    def newest_per_minor(self) -> list[TfRelease]:
        """The last row of every minor, newest minor first."""
        latest: dict[str, TfRelease] = {}
        for r in self.releases:
            latest[r.minor] = r
        return sorted(latest.values(), key=lambda r: Version(r.version), reverse=True)


def tensorflow_matrix(matrices: Matrices) -> TensorFlowMatrix:
    """The validated view of ``tensorflow.toml`` (built once per Matrices)."""
    view = matrices.views.get(MATRIX)
    if isinstance(view, TensorFlowMatrix):
        return view
    view = TensorFlowMatrix(
        variants=tuple(_variant(r) for r in read_rows(matrices, MATRIX, "variant")),
        platforms=tuple(_platform(r) for r in read_rows(matrices, MATRIX, "platform")),
        releases=tuple(
            sorted(
                (_release(r) for r in read_rows(matrices, MATRIX, "release")),
                key=lambda r: Version(r.version),
            )
        ),
    )
    matrices.views[MATRIX] = view
    return view


def _variant(r: RowReader) -> TfVariant:
    build = r.required("build")
    if build not in BUILD_KINDS:
        raise r.fail("build", "one of " + ", ".join(BUILD_KINDS))
    return TfVariant(r.required("name"), build, r.flag("nightly"), r.sources())


def _platform(r: RowReader) -> TfPlatform:
    releases = r.text("cuda_releases", required=True) or ""
    if releases:
        r.spec("cuda_releases")
    return TfPlatform(r.required("system"), r.required("machine"), releases, r.sources())


def _release(r: RowReader) -> TfRelease:
    version = r.version("version", required=True)
    assert version is not None
    minor = minor_of(version) or ""
    for key in ("cuda", "cudnn", "build_cuda"):
        if r.text(key) is not None and major_minor(r.text(key)) is None:
            raise r.fail(key, "a major.minor version")
    return TfRelease(
        version=version,
        minor=minor,
        newest_patch=r.version("newest_patch", required=True) or version,
        python=r.spec("python", required=True) or "",
        requires_python=r.spec("requires_python"),
        cuda=r.text("cuda"),
        cudnn=r.text("cudnn"),
        build_cuda=r.text("build_cuda"),
        archs=r.texts("archs"),
        numpy=r.spec("numpy"),
        numpy_major=r.number("numpy_major"),
        protobuf=r.spec("protobuf"),
        ml_dtypes=r.spec("ml_dtypes"),
        keras=r.spec("keras"),
        and_cuda=r.texts("and_cuda"),
        sources=r.sources(),
    )


# --------------------------------------------------------------------------- queries


def installed_tensorflow(env: Environment, matrices: Matrices | None = None) -> Package | None:
    """The distribution that provides ``tensorflow`` (first variant in matrix order), or None."""
    tfm = tensorflow_matrix(matrices or load_matrices())
    for variant in tfm.variants:
        pkg = env.package(variant.name)
        if pkg is not None:
            return pkg
    return None


def python_ok(release: TfRelease, python: str | None) -> bool | None:
    """Is ``python`` in the release's tested range (and its Requires-Python)? None: unknown."""
    inside = in_range(python, release.python)
    if inside is None:
        return None
    if release.requires_python and in_range(python, release.requires_python) is False:
        return False
    return inside


def numpy_range(release: TfRelease) -> str | None:
    """The numpy range the release works with: declared, capped at <2 for numpy-1 builds."""
    parts = [release.numpy] if release.numpy else []
    if release.numpy_major == 1 and (release.numpy is None or in_range("2.0.0", release.numpy)):
        parts.append("<2")
    return ",".join(parts) or None


def resolve_build(env: Environment, matrices: Matrices) -> ResolvedBuild | None:
    """What the installed TensorFlow was built for: build_info.py if probed, else the matrix."""
    pkg = installed_tensorflow(env, matrices)
    if pkg is None:
        return None
    info = env.build("tensorflow")
    if info is not None and info.status == ProbeStatus.OK and info.is_cuda_build is not None:
        if not info.is_cuda_build:
            variant = "rocm" if info.hip else "cpu"
            return ResolvedBuild(
                "tensorflow", (pkg.name,), pkg.version, variant, None, source="build_info.py"
            )
        mm = major_minor(info.cuda)
        return ResolvedBuild(
            "tensorflow",
            (pkg.name,),
            pkg.version,
            cuda_variant(info.cuda),
            f"{mm[0]}.{mm[1]}" if mm else None,
            tuple(info.archs),
            info.cudnn,
            source="build_info.py",
        )
    if ngc_release(env, pkg.version) is not None:
        return _ngc_build(env, matrices, pkg)  # never PyPI's facts for NVIDIA's build
    return _build_from_matrix(env, matrices, pkg)


def ngc_release(env: Environment, version: str) -> str | None:
    """The NGC release of NVIDIA's TensorFlow (``2.10.1+nv22.10``, or a local build inside a
    container that sets NVIDIA_TENSORFLOW_VERSION); None for any other build."""
    parsed = parse_version(version)
    if parsed is None or parsed.local is None:
        return None
    from compataudit.compat.ngc import container_release  # only vendor-labelled versions

    return container_release(env, "tensorflow", version)


def _ngc_build(env: Environment, matrices: Matrices, pkg: Package) -> ResolvedBuild | None:
    """NVIDIA's TensorFlow: CUDA and cuDNN from its release's row in ngc.toml (PyPI's tables
    never describe it); None when the release or its CUDA is not in the data."""
    release = ngc_release(env, pkg.version)
    if release is None:
        return None
    from compataudit.compat.ngc import ngc_view

    row = ngc_view(matrices).release("tensorflow", release)
    mm = major_minor(row.cuda) if row and row.cuda else None
    if row is None or mm is None:
        return None
    return ResolvedBuild(
        "tensorflow",
        (pkg.name,),
        pkg.version,
        cuda_variant(row.cuda),
        f"{mm[0]}.{mm[1]}",
        (),
        row.cudnn,
        source=f"ngc {release}",
    )


def _build_from_matrix(env: Environment, matrices: Matrices, pkg: Package) -> ResolvedBuild | None:
    tfm = tensorflow_matrix(matrices)
    variant = tfm.variant(pkg.name)
    if variant is None or variant.build == "unknown":
        return None
    source = "pin" if pkg.pinned else "matrix"
    if variant.build in ("cpu", "rocm"):
        return ResolvedBuild("tensorflow", (pkg.name,), pkg.version, variant.build, None, source=source)
    system, machine = env.platform.system, env.platform.machine
    platform = tfm.platform(system, machine)
    if platform is None:
        return None  # e.g. Linux aarch64: what `tensorflow` is built for there is not recorded
    if variant.build == "default":
        cuda_here = bool(platform.cuda_releases) and in_range(pkg.version, platform.cuda_releases)
        if cuda_here is None:
            return None
        if not cuda_here:
            return ResolvedBuild("tensorflow", (pkg.name,), pkg.version, "cpu", None, source=source)
    release = tfm.release_for(pkg.version)
    if release is None or release.build_cuda_minor is None:
        return None  # a CUDA build of an unknown release: do not guess its CUDA
    # build_info.py was read from the Linux x86_64 wheels; elsewhere the architectures are unknown
    archs = release.archs if (system, machine) == ("Linux", "x86_64") else ()
    return ResolvedBuild(
        "tensorflow",
        (pkg.name,),
        pkg.version,
        cuda_variant(release.build_cuda_minor),
        release.build_cuda_minor,
        archs,
        release.cudnn,
        source=source,
    )


# --------------------------------------------------------------------------- what to install


class TfStack(NamedTuple):
    """One complete, compatible TensorFlow install: what to pin and the pip command."""

    tensorflow: str  # the release version, "2.21.0"
    distribution: str  # "tensorflow" | "tensorflow-cpu"
    cuda: str | None  # CUDA of the build; None: a CPU install
    keras: str | None  # requirement, e.g. "keras==2.15.0" / "keras>=3.12.0,<3.13.0"
    tf_keras: str | None  # "tf-keras~=2.21.0" where one exists for this Python
    numpy: str | None  # the numpy specifier that works
    command: str
    sources: tuple[str, ...]


def compatible_stacks(
    matrices: Matrices,
    *,
    python: str,
    max_cuda: str | None = None,
    gpu_ccs: Sequence[str] = (),
    system: str = "Linux",
    machine: str = "x86_64",
) -> list[TfStack]:
    """Every TensorFlow minor (newest patch) that works here, newest first.

    With GPUs and a driver (``max_cuda``) on Linux x86_64 only CUDA builds whose CUDA is at most
    ``max_cuda`` and whose architectures run every GPU count; otherwise CPU installs.
    """
    tfm = tensorflow_matrix(matrices)
    km = keras_compat.keras_matrix(matrices)
    want_gpu = bool(gpu_ccs) and max_cuda is not None and (system, machine) == ("Linux", "x86_64")
    stacks = []
    for rel in tfm.newest_per_minor():
        if python_ok(rel, python) is not True:
            continue
        if want_gpu and not _serves_gpus(matrices, rel, max_cuda, gpu_ccs):
            continue
        keras = keras_compat.keras_requirement(km, rel, python)
        if keras is False:
            continue  # no keras release TF accepts runs on this Python
        tf_keras = keras_compat.tf_keras_requirement(km, rel.minor, python)
        dist = "tensorflow" if want_gpu or system == "Darwin" else "tensorflow-cpu"
        extra = "[and-cuda]" if want_gpu and rel.and_cuda else ""
        words = [f'"{dist}{extra}=={rel.newest_patch}"']
        if keras:
            words.append(f'"{keras}"')
        numpy = numpy_range(rel)
        if numpy and rel.numpy_major == 1 and (rel.numpy is None or in_range("2.0.0", rel.numpy)):
            words.append('"numpy<2"')  # the release declares no cap but is built against numpy 1
        stacks.append(
            TfStack(
                tensorflow=rel.newest_patch,
                distribution=dist,
                cuda=rel.build_cuda_minor if want_gpu else None,
                keras=keras or None,
                tf_keras=tf_keras,
                numpy=numpy,
                command="pip install " + " ".join(words),
                sources=rel.sources,
            )
        )
    return stacks


def _serves_gpus(matrices: Matrices, rel: TfRelease, max_cuda: str | None, gpu_ccs: Sequence[str]) -> bool:
    have, need = major_minor(max_cuda), major_minor(rel.build_cuda_minor)
    if have is None or need is None or need > have:
        return False
    return all(
        arch_supported(cc, rel.archs) != "none" and tf_ptx_fails(matrices, rel.build_cuda_minor, cc) is None
        for cc in gpu_ccs
    )


def suggest_build(
    env: Environment,
    matrices: Matrices,
    build: ResolvedBuild,
    *,
    max_cuda: str | None,
    gpu_ccs: tuple[str, ...],
) -> str | None:
    """The install command of the TensorFlow build nearest ``build`` that runs here, or None."""
    stacks = compatible_stacks(
        matrices,
        python=env.python.version,
        max_cuda=max_cuda,
        gpu_ccs=gpu_ccs if max_cuda else (),
        system=env.platform.system,
        machine=env.platform.machine,
    )
    if not stacks:
        return None
    minor = minor_of(build.version)
    same = [s for s in stacks if minor_of(s.tensorflow) == minor]
    chosen = (same or stacks)[0]
    # Another TensorFlow distribution installs the same package: pip would put the new one
    # beside it (PKG003), so it goes first.
    others = [p.name for p in env.packages if p.name in TENSORFLOW and p.name != chosen.distribution]
    remove = f"pip uninstall -y {' '.join(others)}; " if others else ""
    return remove + chosen.command
