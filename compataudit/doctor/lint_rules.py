"""The lint rules: one function per rule, from a class's facts to problems.

Every "missing X" rule stays silent for classes lint cannot fully see (an
unresolvable base, which may be a mixin supplying X), for abstract
intermediate classes (ABC, ``@abstractmethod``), for classes that other
classes in the tree derive from (those are bases: their subclasses are judged
instead) and for transformers' ``modular_*.py`` code-generation templates.
A missing ``forward``/``call`` needs evidence that an instance runs (it is
called, put in a Sequential/ModuleList, fitted or predicted, or the class has a
near-miss name such as ``foward``): many real modules are holders whose other
methods are used (quantizers, embedding helpers), and they never run ``forward``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePath

from compataudit.doctor import (
    MISSING_BACKWARD,
    MISSING_CALL,
    MISSING_FORWARD,
    MISSING_GET_CONFIG,
    MISSING_METHOD,
    NON_STATIC_AUTOGRAD,
    Problem,
)
from compataudit.doctor.classes import ClassFacts, ClassIndex
from compataudit.doctor.lint_init import check_super_init
from compataudit.doctor.resolve import SourceModule
from compataudit.model import Severity

E, W = Severity.ERROR, Severity.WARNING
# Keras Layer.__init__ keywords that need no get_config of their own.
_KERAS_BASE_ARGS = {
    "self",
    "name",
    "trainable",
    "dtype",
    "dynamic",
    "autocast",
    "input_shape",
    "input_dim",
    "activity_regularizer",
}


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (names are short, so the quadratic table is fine)."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def near_miss(names: dict[str, int], wanted: str, exclude: frozenset[str] = frozenset()) -> str | None:
    """A defined name that looks like a typo of ``wanted`` (``foward``, ``Forward``)."""
    core = wanted.strip("_").lower()
    limit = 2 if len(core) >= 6 else 1
    for name in sorted(names):
        if name == wanted or name in exclude:
            continue
        if name.strip("_").lower() == core or edit_distance(name.lower(), wanted) <= limit:
            return name
    return None


def _problem(
    f: ClassFacts, kind: str, severity: Severity, message: str, fix: str, line: int | None = None
) -> Problem:
    return Problem(kind, severity, f.module.path, line or f.cls.line, f.cls.name, message, fix)


def template_module(mod: SourceModule, index: ClassIndex) -> bool:
    """A transformers ``modular_*.py`` file: a code-generation template, never run as is
    (no rule judges its classes or calls)."""
    path = PurePath(mod.path)
    if not path.name.startswith("modular_"):
        return False
    sibling = str(path.with_name("modeling_" + path.name[len("modular_") :]))
    return sibling in index.paths or any(v.split(".")[0] == "transformers" for v in mod.aliases.values())


def _template(f: ClassFacts, index: ClassIndex) -> bool:
    return template_module(f.module, index)


def test_file(path: str) -> bool:
    """A pytest/unittest file (test_*.py, *_test.py, conftest.py): its classes are helpers."""
    name = PurePath(path).name
    return name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"


def _judged(f: ClassFacts, index: ClassIndex) -> bool:
    """Whether "missing X" rules may judge this class at all."""
    return (
        not f.unknown
        and not f.declares_abstract
        and f.ref not in index.subclassed
        and not _template(f, index)
        and not f.shim
    )


def _typo(f: ClassFacts, wanted: str, exclude: frozenset[str] = frozenset()) -> str:
    """A hint that the method exists under a near-miss name or indentation: also evidence."""
    typo = near_miss(f.own_names, wanted, exclude)
    if typo:
        return f" It defines `{typo}` (line {f.own_names[typo]}): a misspelling of `{wanted}`?"
    nested = f.cls.nested.get(wanted)
    if nested:
        return f" A `def {wanted}` at line {nested} is nested inside another method (indentation)."
    return ""


def check_missing_forward(f: ClassFacts, index: ClassIndex) -> list[Problem]:
    if "torch-module" not in f.roles or f.roles & {"torch-layer", "torch-function"}:
        return []
    if not _judged(f, index) or {"forward", "__call__"} & f.names:
        return []
    hint = _typo(f, "forward")
    if not hint and "call" in f.own_names:
        hint = " It defines `call`, the Keras name; torch calls `forward`."
    # A ModuleList member is only evidence when the class has nothing else to offer:
    # holders (quantizers, codebooks) are listed and their encode/decode used.
    public = any(not n.startswith("_") for n in f.own_names)
    evidence = f.ref in index.called or (f.ref in index.listed and not public)
    if not hint and not evidence:
        return []  # a holder module whose other methods are used: legitimate
    if "forward" in f.abstract:
        hint += " `forward` is abstract in a base class and not implemented here."
    return [
        _problem(
            f,
            MISSING_FORWARD,
            E,
            f"nn.Module subclass `{f.cls.name}` has no `forward`: calling it raises "
            f'NotImplementedError (Module [{f.cls.name}] is missing the required "forward" '
            f"function).{hint}",
            f"Define `def forward(self, x):` in {f.cls.name} (or rename the misspelt method).",
        )
    ]


def check_missing_call(f: ClassFacts, index: ClassIndex) -> list[Problem]:
    if not f.roles & {"keras-layer", "keras-model"} or "keras-concrete" in f.roles:
        return []
    if not _judged(f, index) or "call" in f.names or f.functional or f.ref in index.built_functional:
        return []
    what = "Model" if "keras-model" in f.roles else "Layer"
    if "__call__" in f.own_names:
        return [
            _problem(
                f,
                MISSING_CALL,
                W,
                f"Keras {what} `{f.cls.name}` overrides `__call__` instead of `call`: Keras "
                "building, masking, autocasting and weight tracking are skipped.",
                f"Rename `__call__` to `call` in {f.cls.name}.",
            )
        ]
    hint = _typo(f, "call", frozenset({"all"}))
    if not hint and "forward" in f.own_names:
        hint = " It defines `forward`, the PyTorch name; Keras calls `call`."
    uses = index.uses.get(f.ref, set()) - f.names  # its own `predict` is not Model.predict
    called = f.ref in index.called
    severity = E
    if "train_step" in f.names:
        # Trained through its own train_step: fit() never runs call. Calling, predicting,
        # evaluating or saving it still would, so only those earn a hint.
        runs = uses & {"save", "export"}
        runs |= uses & ({"predict"} - ({"predict"} if "predict_step" in f.names else set()))
        runs |= uses & ({"evaluate"} - ({"evaluate"} if "test_step" in f.names else set()))
        if not (called or runs or hint):
            return []
        severity = W
    elif not (hint or called or uses):
        return []  # never called, fitted or predicted in the linted code
    return [
        _problem(
            f,
            MISSING_CALL,
            severity,
            f"Keras {what} `{f.cls.name}` has no `call`: Keras 3 raises NotImplementedError when "
            f"it is called, Keras 2 silently returns the input unchanged.{hint}",
            f"Define `def call(self, inputs):` in {f.cls.name}.",
        )
    ]


def check_autograd(f: ClassFacts, index: ClassIndex) -> list[Problem]:
    if "torch-function" not in f.roles or f.unknown:
        return []
    if not {"forward", "backward", "vjp"} & f.names:
        return []  # a namespace of static helpers, not a real Function
    out: list[Problem] = []
    if "forward" not in f.names and f.ref not in index.subclassed:
        out.append(
            _problem(
                f,
                MISSING_FORWARD,
                E,
                f"autograd.Function `{f.cls.name}` has no `forward`.{_typo(f, 'forward')}",
                "Add `@staticmethod def forward(ctx, *inputs):`.",
            )
        )
    if not {"backward", "vjp"} & f.names and f.ref not in index.subclassed:
        grad, nograd = index.applied
        # Gradients cannot flow when every .apply is under no_grad/inference_mode or the
        # outputs are marked non-differentiable: a latent bug, not a crash.
        no_flow = f.cls.marks_nondiff or (f.ref in nograd and f.ref not in grad)
        out.append(
            _problem(
                f,
                MISSING_BACKWARD,
                W if no_flow else E,
                f"autograd.Function `{f.cls.name}` has no `backward`: gradients through it raise "
                f"NotImplementedError.{_typo(f, 'backward', frozenset({'forward'}))}"
                + (" It is only applied without gradients here." if no_flow else ""),
                "Add `@staticmethod def backward(ctx, grad_output):` returning one gradient per "
                "forward input (or keep the op out of autograd).",
            )
        )
    out.extend(
        _problem(
            f,
            NON_STATIC_AUTOGRAD,
            W,
            f"`{f.cls.name}.{name}` is not a @staticmethod: legacy autograd style, "
            "a RuntimeError on torch >= 1.5 when the Function is instantiated and called.",
            f"Decorate `{name}` with @staticmethod and call `{f.cls.name}.apply(...)`.",
            line,
        )
        for name, line in f.cls.nonstatic
    )
    return out


def check_dataset(f: ClassFacts, index: ClassIndex) -> list[Problem]:
    if not _judged(f, index):
        return []
    if "torch-iterable" in f.roles:
        wanted = "__iter__"
    elif "torch-dataset" in f.roles:
        wanted = "__getitem__"
        if "__getitems__" in f.names:  # batched fetching replaces __getitem__
            return []
    else:
        return []
    if wanted in f.names:
        return []
    hint = _typo(f, wanted, frozenset({"__getitems__"}))
    if not hint and test_file(f.module.path):
        return []  # a test's stand-in (an empty sized dataset), never indexed
    return [
        _problem(
            f,
            MISSING_METHOD,
            E,
            f"Dataset `{f.cls.name}` has no `{wanted}`: indexing it raises NotImplementedError.{hint}",
            f"Define `{wanted}` (and `__len__`) in {f.cls.name}.",
        )
    ]


def check_abstract(f: ClassFacts, index: ClassIndex) -> list[Problem]:
    if not f.abcmeta:
        return []  # @abstractmethod is only enforced under ABCMeta (nn.Module's is `type`)
    missing = set(f.abstract)
    if "torch-module" in f.roles:
        missing.discard("forward")  # reported as missing-forward
    if f.roles & {"keras-layer", "keras-model"}:
        missing.discard("call")
    # Only where the class is constructed: a mixin of abstract members may get them
    # from a sibling base in a class assembled elsewhere (or at run time).
    if not missing or not _judged(f, index) or f.ref not in index.instantiated:
        return []
    names = ", ".join(f"`{n}`" for n in sorted(missing))
    return [
        _problem(
            f,
            MISSING_METHOD,
            E,
            f"`{f.cls.name}` leaves abstract method(s) {names} unimplemented: instantiating it "
            "raises TypeError (Can't instantiate abstract class).",
            f"Implement {names} in {f.cls.name}, or mark it abstract if it is a base class.",
        )
    ]


def check_get_config(f: ClassFacts, index: ClassIndex) -> list[Problem]:
    if "keras-layer" not in f.roles or f.roles & {"keras-model", "keras-concrete"} or f.unknown:
        return []
    init = f.cls.init
    if init is None or "get_config" in f.names or _template(f, index) or test_file(f.module.path):
        return []
    extra = [p for p in init.params if p not in _KERAS_BASE_ARGS]
    if not f.keras2:
        # Keras 3 records plain constructor arguments itself: only arguments that are
        # annotated with, or given, a non-plain value (a layer, a callable) still need it.
        given = index.nonplain_args.get(f.ref, set())
        extra = [
            p
            for i, p in enumerate(init.params)
            if p in extra and (p in init.nonplain or p in given or str(i) in given)
        ]
    if not extra:
        return []
    why = (
        "saving the model raises NotImplementedError on Keras 2 / tf.keras"
        if f.keras2
        else "Keras 3 cannot record a non-plain argument value, so saving the model raises "
        "NotImplementedError"
    )
    return [
        _problem(
            f,
            MISSING_GET_CONFIG,
            W,
            f"Keras layer `{f.cls.name}` takes {', '.join(extra)} in __init__ but defines no "
            f"`get_config`: {why}.",
            f"Add `get_config` returning {{**super().get_config(), "
            f"{', '.join(repr(p) + ': self.' + p.lstrip('*') for p in extra)}}}.",
            init.line,
        )
    ]


CLASS_RULES: tuple[Callable[[ClassFacts, ClassIndex], list[Problem]], ...] = (
    check_missing_forward,
    check_missing_call,
    check_autograd,
    check_dataset,
    check_abstract,
    check_super_init,
    check_get_config,
)
