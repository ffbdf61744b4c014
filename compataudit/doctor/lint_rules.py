"""The lint rules: one function per rule, from a class's facts to problems.

Every "missing X" rule stays silent for classes lint cannot fully see (an
unresolvable base, which may be a mixin supplying X), for abstract
intermediate classes (ABC, ``@abstractmethod``) and for classes that other
classes in the tree derive from: those are bases, and their subclasses are
judged instead.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator

from compataudit.doctor import (
    MISSING_BACKWARD,
    MISSING_CALL,
    MISSING_FORWARD,
    MISSING_GET_CONFIG,
    MISSING_METHOD,
    MISSING_SUPER_INIT,
    NON_STATIC_AUTOGRAD,
    Problem,
)
from compataudit.doctor.classes import ClassFacts, ClassIndex
from compataudit.doctor.resolve import ClassRef, dotted
from compataudit.model import Severity

E, W = Severity.ERROR, Severity.WARNING
FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
_TORCH_ROLES = {"torch-module", "torch-layer"}
_TORCH_MODULE_NAMES = {"torch.nn.Module", "torch.nn.modules.module.Module"}
_KERAS_ROLES = {"keras-layer", "keras-model", "keras-concrete"}
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
    return Problem(kind, severity, f.module.path, line or f.node.lineno, f.node.name, message, fix)


def _judged(f: ClassFacts, index: ClassIndex) -> bool:
    """Whether "missing X" rules may judge this class at all."""
    return not f.unknown and not f.declares_abstract and f.ref not in index.subclassed


def _methods(node: ast.ClassDef) -> Iterator[FunctionNode]:
    for stmt in node.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield stmt


def _nested_def(node: ast.ClassDef, name: str) -> int | None:
    """The line of a ``def name`` nested inside another method (an indentation slip)."""
    for method in _methods(node):
        for sub in ast.walk(method):
            if (
                sub is not method
                and isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef))
                and sub.name == name
            ):
                return sub.lineno
    return None


def _hint(f: ClassFacts, wanted: str, exclude: frozenset[str] = frozenset()) -> str:
    typo = near_miss(f.own_names, wanted, exclude)
    if typo:
        return f" It defines `{typo}` (line {f.own_names[typo]}): a misspelling of `{wanted}`?"
    nested = _nested_def(f.node, wanted)
    if nested:
        return f" A `def {wanted}` at line {nested} is nested inside another method (indentation)."
    return ""


def check_missing_forward(f: ClassFacts, index: ClassIndex) -> list[Problem]:
    if "torch-module" not in f.roles or f.roles & {"torch-layer", "torch-function"}:
        return []
    if not _judged(f, index) or {"forward", "__call__"} & f.names:
        return []
    hint = _hint(f, "forward")
    if "forward" in f.abstract:
        hint += " `forward` is abstract in a base class and not implemented here."
    elif "call" in f.own_names:
        hint += " It defines `call`, the Keras name; torch calls `forward`."
    # A typo, a slip or a call site makes it certain; otherwise it may be a holder
    # module that is never called (legitimate), so only warn.
    severity = E if hint or f.ref in index.called else W
    return [
        _problem(
            f,
            MISSING_FORWARD,
            severity,
            f"nn.Module subclass `{f.node.name}` has no `forward`: calling it raises "
            f'NotImplementedError (Module [{f.node.name}] is missing the required "forward" '
            f"function).{hint}",
            f"Define `def forward(self, x):` in {f.node.name} (or rename the misspelt method).",
        )
    ]


def _functional_model(f: ClassFacts) -> bool:
    """``super().__init__(inputs=..., outputs=...)``: a functional Keras model needs no call."""
    init = next((m for m in _methods(f.node) if m.name == "__init__"), None)
    if init is None:
        return False
    for sub in ast.walk(init):
        if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) and sub.func.attr == "__init__":
            kws = {k.arg for k in sub.keywords}
            if {"inputs", "outputs"} <= kws or len(sub.args) >= 2 + (not _is_super(sub.func.value)):
                return True
    return False


def _is_super(expr: ast.expr) -> bool:
    return isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id == "super"


def check_missing_call(f: ClassFacts, index: ClassIndex) -> list[Problem]:
    if not f.roles & {"keras-layer", "keras-model"} or "keras-concrete" in f.roles:
        return []
    if not _judged(f, index) or "call" in f.names or _functional_model(f):
        return []
    what = "Model" if "keras-model" in f.roles else "Layer"
    fix = f"Define `def call(self, inputs):` in {f.node.name}."
    if "__call__" in f.own_names:
        return [
            _problem(
                f,
                MISSING_CALL,
                W,
                f"Keras {what} `{f.node.name}` overrides `__call__` instead of `call`: Keras "
                "building, masking, autocasting and weight tracking are skipped.",
                f"Rename `__call__` to `call` in {f.node.name}.",
            )
        ]
    hint = _hint(f, "call", frozenset({"all"}))
    if "forward" in f.own_names:
        hint += " It defines `forward`, the PyTorch name; Keras calls `call`."
    return [
        _problem(
            f,
            MISSING_CALL,
            E,
            f"Keras {what} `{f.node.name}` has no `call`: Keras 3 raises NotImplementedError when "
            f"it is called, Keras 2 silently returns the input unchanged.{hint}",
            fix,
        )
    ]


def _is_static(fn: FunctionNode) -> bool:
    return any(dotted(d) in {"staticmethod", "builtins.staticmethod"} for d in fn.decorator_list)


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
                f"autograd.Function `{f.node.name}` has no `forward`.{_hint(f, 'forward')}",
                "Add `@staticmethod def forward(ctx, *inputs):`.",
            )
        )
    if not {"backward", "vjp"} & f.names and f.ref not in index.subclassed:
        out.append(
            _problem(
                f,
                MISSING_BACKWARD,
                E,
                f"autograd.Function `{f.node.name}` has no `backward`: gradients through it raise "
                f"NotImplementedError.{_hint(f, 'backward', frozenset({'forward'}))}",
                "Add `@staticmethod def backward(ctx, grad_output):` returning one gradient per "
                "forward input (or keep the op out of autograd).",
            )
        )
    out.extend(
        _problem(
            f,
            NON_STATIC_AUTOGRAD,
            W,
            f"`{f.node.name}.{method.name}` is not a @staticmethod: legacy autograd style, "
            "a RuntimeError on torch >= 1.5 when the Function is instantiated and called.",
            f"Decorate `{method.name}` with @staticmethod and call `{f.node.name}.apply(...)`.",
            method.lineno,
        )
        for method in _methods(f.node)
        if method.name in {"forward", "backward"} and not _is_static(method)
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
    return [
        _problem(
            f,
            MISSING_METHOD,
            E,
            f"Dataset `{f.node.name}` has no `{wanted}`: indexing it raises NotImplementedError."
            f"{_hint(f, wanted, frozenset({'__getitems__'}))}",
            f"Define `{wanted}` (and `__len__`) in {f.node.name}.",
        )
    ]


def check_abstract(f: ClassFacts, index: ClassIndex) -> list[Problem]:
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
            f"`{f.node.name}` leaves abstract method(s) {names} unimplemented: instantiating it "
            "raises TypeError (Can't instantiate abstract class).",
            f"Implement {names} in {f.node.name}, or mark it abstract if it is a base class.",
        )
    ]


def _init_calls(fn: FunctionNode) -> list[ast.Call]:
    return [
        sub
        for sub in ast.walk(fn)
        if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) and sub.func.attr == "__init__"
    ]


def _self_assigns(fn: FunctionNode) -> list[ast.Assign]:
    return [
        sub
        for sub in ast.walk(fn)
        if isinstance(sub, ast.Assign)
        and any(
            isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == "self"
            for t in sub.targets
        )
    ]


def _skips_framework_init(f: ClassFacts, index: ClassIndex, call: ast.Call) -> bool:
    """``super(nn.Module, self).__init__()`` starts the MRO search after nn.Module."""
    value = call.func.value if isinstance(call.func, ast.Attribute) else None
    if not (isinstance(value, ast.Call) and _is_super(value) and value.args):
        return False
    target = index.project.qualify(f.module, value.args[0])
    return isinstance(target, str) and target in _TORCH_MODULE_NAMES


def _makes_module(f: ClassFacts, index: ClassIndex, value: ast.expr) -> bool:
    """A value torch refuses to store before Module.__init__ (a submodule or a Parameter)."""
    if not isinstance(value, ast.Call):
        return False
    target = index.project.qualify(f.module, value.func)
    if isinstance(target, ClassRef):
        return bool(index.facts(target).roles & _TORCH_ROLES)
    return (
        isinstance(target, str) and target.startswith("torch.nn.") and target.rsplit(".", 1)[1][:1].isupper()
    )


def check_super_init(f: ClassFacts, index: ClassIndex) -> list[Problem]:
    if not f.roles & (_TORCH_ROLES | _KERAS_ROLES):
        return []
    init = next((m for m in _methods(f.node) if m.name == "__init__"), None)
    if init is None:
        return []
    fix = f"Call `super().__init__()` as the first statement of {f.node.name}.__init__."
    calls = _init_calls(init)
    if not calls:
        # Pitfall: super().__init__ may be reached through a helper method.
        for sub in ast.walk(init):
            if (
                isinstance(sub, ast.Call)
                and isinstance(sub.func, ast.Attribute)
                and isinstance(sub.func.value, ast.Name)
                and sub.func.value.id == "self"
            ):
                helper = next((m for m in _methods(f.node) if m.name == sub.func.attr), None)
                if helper is None or _init_calls(helper):
                    return []
        if not _self_assigns(init):
            return []
        return [
            _problem(
                f,
                MISSING_SUPER_INIT,
                E,
                f"`{f.node.name}.__init__` assigns attributes but never calls the base class "
                "__init__ (cannot assign module before Module.__init__() call).",
                fix,
                init.lineno,
            )
        ]
    first = min(c.lineno for c in calls)
    for call in calls:
        if _skips_framework_init(f, index, call):
            return [
                _problem(
                    f,
                    MISSING_SUPER_INIT,
                    E,
                    f"`super(nn.Module, self).__init__()` in `{f.node.name}` skips "
                    "nn.Module.__init__ itself (incorrect inheritance).",
                    fix,
                    call.lineno,
                )
            ]
    for assign in _self_assigns(init):
        if assign.lineno < first and f.roles & _TORCH_ROLES and _makes_module(f, index, assign.value):
            return [
                _problem(
                    f,
                    MISSING_SUPER_INIT,
                    E,
                    f"`{f.node.name}.__init__` assigns a submodule or Parameter (line "
                    f"{assign.lineno}) before calling the base __init__ (line {first}): "
                    "AttributeError: cannot assign module before Module.__init__() call.",
                    fix,
                    assign.lineno,
                )
            ]
    return []


def check_get_config(f: ClassFacts, index: ClassIndex) -> list[Problem]:
    if "keras-layer" not in f.roles or f.roles & {"keras-model", "keras-concrete"} or f.unknown:
        return []
    init = next((m for m in _methods(f.node) if m.name == "__init__"), None)
    if init is None or "get_config" in f.names:
        return []
    params = [a.arg for a in init.args.posonlyargs + init.args.args + init.args.kwonlyargs]
    extra = [p for p in params if p not in _KERAS_BASE_ARGS]
    if init.args.vararg:
        extra.append("*" + init.args.vararg.arg)
    if not extra:
        return []
    return [
        _problem(
            f,
            MISSING_GET_CONFIG,
            W,
            f"Keras layer `{f.node.name}` takes {', '.join(extra)} in __init__ but defines no "
            "`get_config`: saving the model raises NotImplementedError on Keras 2.6-2.10, and on "
            "newer Keras when an argument value is not a plain str/int/float/bool/None.",
            f"Add `get_config` returning {{**super().get_config(), "
            f"{', '.join(repr(p) + ': self.' + p.lstrip('*') for p in extra)}}}.",
            init.lineno,
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
