"""One file's compact lint summary: what the rules need, without the syntax tree.

A worker parses a file, walks its tree once and keeps only names, lines and a
few flags (imports, classes, how instances are used). The tree is dropped, so a
large tree costs little memory, and the summary depends on the file's bytes
alone, so it can be cached by content hash (:mod:`compataudit.doctor.cache`).
Names stay as written (``nn.Module``); :mod:`compataudit.doctor.resolve`
qualifies them across the walked tree later.
"""

from __future__ import annotations

import ast
import bisect
from dataclasses import dataclass, field

from compataudit.doctor.summary_conv import conv_facts
from compataudit.doctor.summary_init import InitFacts, dotted, init_facts

# Bump when the summary's shape or meaning changes: it keys the cache.
SUMMARY_VERSION = 2
# Methods whose nested (mis-indented) definition is worth a hint.
_WANTED = frozenset({"forward", "call", "backward", "__getitem__", "__iter__"})
# Containers whose children are called (Sequential) or iterated and called (ModuleList).
_CONTAINERS = frozenset({"Sequential", "ModuleList", "ModuleDict", "add"})
# Keras Model methods that run `call` (or save its config) on an instance.
_USES = frozenset({"predict", "fit", "evaluate", "save", "predict_on_batch", "export"})
_NO_GRAD = frozenset({"no_grad", "inference_mode"})
# Standalone-keras modules that only Keras 1/2 had (Keras 3 removed them): code importing
# them was written for Keras 2, whatever is installed now.
_KERAS2_MODULES = (
    "keras.engine",
    "keras.layers.core",
    "keras.layers.convolutional",
    "keras.layers.recurrent",
    "keras.layers.normalization",
    "keras.layers.advanced_activations",
    "keras.layers.embeddings",
    "keras.layers.pooling",
    "keras.layers.merge",
    "keras.layers.wrappers",
    "keras.layers.noise",
    "keras.layers.local",
    "keras.layers.cudnn_recurrent",
    "keras.utils.np_utils",
    "keras.utils.generic_utils",
    "keras.utils.vis_utils",
    "keras.utils.data_utils",
    "keras.utils.conv_utils",
    "keras.utils.layer_utils",
    "keras.backend.tensorflow_backend",
    "keras.backend.theano_backend",
    "keras.backend.common",
    "keras.initializations",
    "keras.objectives",
)
# ... and modules only Keras 3 has.
_KERAS3_MODULES = ("keras.ops", "keras.src", "keras.random", "keras.config", "keras.tree", "keras_core")
# Keras 3's whole `keras.backend` namespace: any other `K.<op>` is the Keras 2 backend API.
_KERAS3_BACKEND = frozenset(
    {
        "backend",
        "clear_session",
        "epsilon",
        "floatx",
        "get_uid",
        "image_data_format",
        "is_float_dtype",
        "is_int_dtype",
        "is_keras_tensor",
        "result_type",
        "set_epsilon",
        "set_floatx",
        "set_image_data_format",
        "standardize_dtype",
    }
)


def _classish(name: str | None) -> bool:
    """A callee that may be a class (``Net``, ``models.Net``): keeps the summary small."""
    return bool(name) and name.rsplit(".", 1)[-1][:1].isupper()  # type: ignore[union-attr]


@dataclass(slots=True)
class ClassSummary:
    """One module-level class."""

    name: str
    line: int
    end: int
    bases: list[str | None]  # None: an expression lint cannot name (call, starred)
    metaclass: str | None = None
    own: dict[str, int] = field(default_factory=dict)  # attribute -> line
    abstract: list[str] = field(default_factory=list)
    dynamic: list[str] = field(default_factory=list)  # set outside the body
    nested: dict[str, int] = field(default_factory=dict)  # mis-indented `def forward`
    nonstatic: list[tuple[str, int]] = field(default_factory=list)  # autograd forward/backward
    # Callees its own __new__ returns instead of an instance of the class (a deprecation
    # shim): as written, or "@<module path>" when imported inside __new__.
    new_returns: list[str] = field(default_factory=list)
    add_weight: bool = False  # calls self.add_weight (Keras checks Layer.__init__ ran)
    marks_nondiff: bool = False  # forward calls ctx.mark_non_differentiable
    init: InitFacts | None = None
    # self.w = nn.Parameter(torch.randn(<literal>)): attr -> (shape, line, wrapper, factory)
    shapes: dict[str, tuple[list[int], int, str, str]] = field(default_factory=dict)
    convs: list[tuple[int, str, str]] = field(default_factory=list)  # (line, op, weight attr)


@dataclass(slots=True)
class FileSummary:
    """Everything lint keeps of one file."""

    error: tuple[int, str] | None = None  # a syntax error: (line, message)
    aliases: dict[str, str] = field(default_factory=dict)  # relative imports keep their dots
    classes: list[ClassSummary] = field(default_factory=list)
    called: list[str] = field(default_factory=list)  # callees whose instances are called
    containers: list[tuple[str, list[str]]] = field(default_factory=list)
    uses: list[tuple[str, str]] = field(default_factory=list)  # (class, predict/fit/save...)
    made: list[str] = field(default_factory=list)  # class-like callees constructed
    # Cls(inputs=..., outputs=...) ("kw:Cls") or Cls(a, b) ("pos:Cls"): maybe functional
    functional: list[str] = field(default_factory=list)
    legacy: list[tuple[int, str]] = field(default_factory=list)  # MyFunction()(x)
    apply_grad: list[str] = field(default_factory=list)  # Fn.apply outside no_grad
    apply_nograd: list[str] = field(default_factory=list)
    # Cls(Dense(3)) / Cls(act=lambda x: x): (callee, positional index or keyword)
    nonplain_args: list[tuple[str, str]] = field(default_factory=list)
    # The Keras generation the file's import paths were written for: "2", "3" or "".
    keras: str = ""


def module_level_nodes(body: list[ast.stmt]) -> list[ast.stmt]:
    """Statements at module level, looking inside if/try/with blocks (guarded imports)."""
    out: list[ast.stmt] = []
    for node in body:
        out.append(node)
        if isinstance(node, ast.If):
            out.extend(module_level_nodes(node.body + node.orelse))
        elif isinstance(node, ast.Try):
            handlers = [s for h in node.handlers for s in h.body]
            out.extend(module_level_nodes(node.body + handlers + node.orelse + node.finalbody))
        elif isinstance(node, ast.With):
            out.extend(module_level_nodes(node.body))
    return out


def _alias_target(aliases: dict[str, str], name: str | None) -> str | None:
    """``layers = tf.keras.layers``: the qualified value when its head is imported."""
    if not name:
        return None
    head, _, rest = name.partition(".")
    if head not in aliases:
        return None
    return aliases[head] + ("." + rest if rest else "")


def _imports_and_classes(tree: ast.Module, out: FileSummary) -> list[ast.ClassDef]:
    classes: list[ast.ClassDef] = []
    for node in module_level_nodes(tree.body):
        if isinstance(node, ast.Import):
            for a in node.names:  # `import torch.nn` binds `torch`
                out.aliases[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            for a in node.names:
                if a.name != "*":
                    sep = "." if node.module else ""
                    out.aliases[a.asname or a.name] = f"{base}{sep}{a.name}"
        elif (
            isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
        ):
            target = _alias_target(out.aliases, dotted(node.value))
            if target:  # `Layer = tf.keras.layers.Layer`, `K = tf.keras`
                out.aliases[node.targets[0].id] = target
        elif isinstance(node, ast.ClassDef):
            classes.append(node)
            out.aliases.pop(node.name, None)  # a local class shadows an earlier import
    return classes


def _line(node: ast.stmt | ast.expr) -> int:
    return node.lineno


def _leaf_types() -> frozenset[type]:
    """Node types that cannot hold a call, an assignment or a def: never descended into."""
    kinds: set[type] = {ast.Name, ast.Constant, ast.alias, ast.arg}
    for family in (ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop):
        kinds.update(family.__subclasses__())
    return frozenset(kinds)


_LEAVES = _leaf_types()


class _Walk:
    """One pass over the tree collecting the nodes the summary is built from.

    This walk is most of lint's cost beyond parsing, so it is a plain loop over
    ``_fields`` that skips leaves, not :func:`ast.walk`.
    """

    def __init__(self, tree: ast.Module) -> None:
        self.assigns: list[ast.Assign] = []
        self.calls: list[ast.Call] = []
        self.defs: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
        self.apply: list[tuple[str, bool]] = []
        self._run(tree, nograd=False)
        # Sorted by line, so a class or method takes its slice with bisect.
        self.assigns.sort(key=_line)
        self.calls.sort(key=_line)
        self._assign_lines = [a.lineno for a in self.assigns]
        self._call_lines = [c.lineno for c in self.calls]

    def assigns_in(self, first: int, last: int) -> list[ast.Assign]:
        lines = self._assign_lines
        return self.assigns[bisect.bisect_left(lines, first) : bisect.bisect_right(lines, last)]

    def calls_in(self, first: int, last: int) -> list[ast.Call]:
        lines = self._call_lines
        return self.calls[bisect.bisect_left(lines, first) : bisect.bisect_right(lines, last)]

    def _run(self, root: ast.AST, *, nograd: bool) -> None:
        stack: list[ast.AST] = [root]
        leaves, node_type = _LEAVES, ast.AST
        while stack:
            node = stack.pop()
            kind = type(node)
            if kind is ast.Assign:
                self.assigns.append(node)  # type: ignore[arg-type]
            elif kind is ast.Call:
                self.calls.append(node)  # type: ignore[arg-type]
            elif kind is ast.FunctionDef or kind is ast.AsyncFunctionDef:
                if node.name in _WANTED:  # type: ignore[attr-defined]
                    self.defs.append(node)  # type: ignore[arg-type]
                if not nograd and any(_no_grad_expr(d) for d in node.decorator_list):  # type: ignore[attr-defined]
                    self._run_children(node, nograd=True)
                    continue
            elif kind is ast.With and not nograd:
                if any(_no_grad_expr(i.context_expr) for i in node.items):  # type: ignore[attr-defined]
                    self._run_children(node, nograd=True)
                    continue
            elif kind is ast.Attribute and node.attr == "apply":  # type: ignore[attr-defined]
                name = dotted(node.value)  # type: ignore[attr-defined]
                if _classish(name):
                    self.apply.append((name or "", nograd))
            for field_name in node._fields:
                value = getattr(node, field_name, None)
                if type(value) is list:
                    stack.extend(v for v in value if type(v) not in leaves and isinstance(v, node_type))
                elif isinstance(value, node_type) and type(value) not in leaves:
                    stack.append(value)

    def _run_children(self, node: ast.AST, *, nograd: bool) -> None:
        for child in ast.iter_child_nodes(node):
            self._run(child, nograd=nograd)


def _no_grad_expr(expr: ast.expr) -> bool:
    name = dotted(expr.func) if isinstance(expr, ast.Call) else dotted(expr)
    return bool(name) and name.rsplit(".", 1)[-1] in _NO_GRAD  # type: ignore[union-attr]


def _children(call: ast.Call) -> list[str]:
    """Class-like callees constructed directly inside a container call's arguments."""
    found: list[str] = []
    for arg in call.args:
        value = arg.value if isinstance(arg, ast.Starred) else arg
        items: list[ast.expr] = [value]
        if isinstance(value, (ast.List, ast.Tuple)):
            items = list(value.elts)
        elif isinstance(value, (ast.ListComp, ast.GeneratorExp)):
            items = [value.elt]
        elif isinstance(value, ast.Dict):
            items = [v for v in value.values if v is not None]
        for item in items:
            if isinstance(item, ast.Call):
                name = dotted(item.func)
                if _classish(name):
                    found.append(name or "")
    return found


def _usage(walk: _Walk, out: FileSummary) -> None:
    bound: dict[str, str] = {}
    # Every assignment to a name, in line order: a call of `fn` is legacy only when the
    # nearest assignment before it bound an instance (not another value of that name).
    history: dict[str, list[tuple[int, str]]] = {}
    for node in walk.assigns:
        value = node.value
        callee = dotted(value.func) if type(value) is ast.Call else None
        instance = (callee or "") if _classish(callee) else ""
        for t in node.targets:
            kind = type(t)
            name = t.id if kind is ast.Name else dotted(t) if kind is ast.Attribute else None  # type: ignore[attr-defined]
            if not name:
                continue
            if instance:
                bound[name] = instance
            history.setdefault(name, []).append((node.lineno, instance))
    called: set[str] = set()
    made: set[str] = set()
    functional: set[str] = set()
    uses: set[tuple[str, str]] = set()
    for call in walk.calls:
        func = call.func
        if isinstance(func, ast.Call):
            inner = dotted(func.func)
            if _classish(inner):
                called.add(inner or "")
                out.legacy.append((call.lineno, inner or ""))  # lint keeps autograd.Functions
            continue
        name = dotted(func)
        if name is None:
            if (
                isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Call)
                and func.attr in {"forward", "backward"}
                and not func.value.args
                and not func.value.keywords
                and _classish(dotted(func.value.func))
            ):
                out.legacy.append((call.lineno, dotted(func.value.func) or ""))
            continue
        if name in bound:
            called.add(bound[name])
            before = [c for line, c in history[name] if line <= call.lineno]
            if before and before[-1]:
                out.legacy.append((call.lineno, before[-1]))  # `fn = MyFunction(); fn(x)`
        head, _, last = name.rpartition(".")
        if head in bound and last in _USES:
            validated = last == "fit" and any(
                k.arg in {"validation_data", "validation_split"} for k in call.keywords
            )
            uses.add((bound[head], last))
            if validated:  # validation runs test_step: an evaluate in disguise
                uses.add((bound[head], "evaluate"))
        if last in _CONTAINERS or name in _CONTAINERS:
            kids = _children(call)
            if kids:
                out.containers.append((name, kids))
        if _classish(name):
            made.add(name)
            if any(k.arg == "outputs" for k in call.keywords):
                functional.add("kw:" + name)
            elif len(call.args) >= 2:
                functional.add("pos:" + name)
            given = [(str(i), a) for i, a in enumerate(call.args)]
            given += [(k.arg, k.value) for k in call.keywords if k.arg]
            out.nonplain_args.extend(
                (name, key)
                for key, arg in given  # a lambda or a constructed object: never plain config
                if isinstance(arg, ast.Lambda) or (isinstance(arg, ast.Call) and _classish(dotted(arg.func)))
            )
    out.called = sorted(called)
    out.made = sorted(made)
    out.functional = sorted(functional)
    out.uses = sorted(uses)
    out.apply_grad = sorted({n for n, ng in walk.apply if not ng})
    out.apply_nograd = sorted({n for n, ng in walk.apply if ng})


def _class_summary(node: ast.ClassDef, walk: _Walk, dynamic: dict[str, set[str]]) -> ClassSummary:
    end = node.end_lineno or node.lineno
    meta = next((dotted(k.value) for k in node.keywords if k.arg == "metaclass"), None)
    cls = ClassSummary(node.name, node.lineno, end, [dotted(b) for b in node.bases], metaclass=meta)
    methods: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
    for stmt in node.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            cls.own[stmt.name] = stmt.lineno
            methods[stmt.name] = stmt
            if any(
                (dotted(d) or "").rsplit(".", 1)[-1] in {"abstractmethod", "abstractproperty"}
                for d in stmt.decorator_list
            ):
                cls.abstract.append(stmt.name)
        elif isinstance(stmt, ast.Assign):
            for t in stmt.targets:  # `a = f` and `__add__, __radd__ = ops(...)`
                for name in t.elts if isinstance(t, (ast.Tuple, ast.List)) else [t]:
                    if isinstance(name, ast.Name):
                        cls.own[name.id] = stmt.lineno
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
            cls.own[stmt.target.id] = stmt.lineno
    inside = walk.assigns_in(node.lineno, end)
    extra = set(dynamic.get(node.name, set()))
    for sub in inside:  # `self.forward = ...` inside the class body
        extra.update(
            t.attr
            for t in sub.targets
            if isinstance(t, ast.Attribute)
            and isinstance(t.value, ast.Name)
            and t.value.id in {"self", "cls"}
        )
    cls.dynamic = sorted(extra)
    direct = set(map(id, methods.values()))
    for fn in walk.defs:
        if id(fn) not in direct and node.lineno <= fn.lineno <= end:
            cls.nested.setdefault(fn.name, fn.lineno)
    for meth in ("forward", "backward"):
        method = methods.get(meth)
        # A classmethod is fine too: Function.apply calls cls.forward(ctx, ...).
        if method is not None and not any(dotted(d) in _STATIC_OR_CLASS for d in method.decorator_list):
            cls.nonstatic.append((meth, method.lineno))
    new = methods.get("__new__")
    if new is not None:
        cls.new_returns = _new_returns(new)
    cls.add_weight = any(
        isinstance(c.func, ast.Attribute) and c.func.attr == "add_weight"
        for c in walk.calls_in(node.lineno, end)
    )
    fwd = methods.get("forward")
    if fwd is not None:
        cls.marks_nondiff = any(
            isinstance(c.func, ast.Attribute) and c.func.attr == "mark_non_differentiable"
            for c in walk.calls_in(fwd.lineno, fwd.end_lineno or fwd.lineno)
        )
    init = methods.get("__init__")
    if init is not None:
        span = (init.lineno, init.end_lineno or init.lineno)
        cls.init = init_facts(init, methods, walk.calls_in(*span), walk.assigns_in(*span))
    cls.shapes, cls.convs = conv_facts(inside, walk.calls_in(node.lineno, end))
    return cls


_STATIC_OR_CLASS = frozenset({"staticmethod", "builtins.staticmethod", "classmethod", "builtins.classmethod"})


def _new_returns(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    """What a ``__new__`` returns when it is not ``super().__new__(cls)``: another class."""
    local: dict[str, str] = {}
    returned: list[str] = []
    for sub in ast.walk(fn):
        if isinstance(sub, ast.ImportFrom):
            base = "." * sub.level + (sub.module or "")
            for a in sub.names:
                local[a.asname or a.name] = f"{base}{'.' if sub.module else ''}{a.name}"
        elif isinstance(sub, ast.Return) and isinstance(sub.value, ast.Call):
            name = dotted(sub.value.func)
            if name and not name.endswith("__new__") and name != "cls":
                returned.append(name)
    return ["@" + local[n] if n in local else n for n in returned]


def _imported(tree: ast.Module) -> list[str]:
    """Every absolute module path (and ``module.name``) the module level imports."""
    paths: list[str] = []
    for node in module_level_nodes(tree.body):
        if isinstance(node, ast.Import):
            paths.extend(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            paths.extend(f"{node.module}.{a.name}" for a in node.names)
    return paths


def _keras_generation(tree: ast.Module, out: FileSummary, calls: list[ast.Call]) -> str:
    """ "2" or "3" when the file's imports (or keras.backend calls) only exist in one."""
    paths = _imported(tree)
    two = any(p.startswith(_KERAS2_MODULES) for p in paths)
    three = any(p.startswith(_KERAS3_MODULES) for p in paths)
    # Only files that import standalone keras (or its backend) can call the Keras 2 backend.
    if not two and any(v == "keras" or v.startswith("keras.backend") for v in out.aliases.values()):
        for call in calls:
            name = dotted(call.func)
            head, _, rest = (name or "").partition(".")
            if not rest or head not in out.aliases:
                continue
            full = out.aliases[head] + "." + rest
            if (
                full.startswith("keras.backend.")
                and full.count(".") == 2
                and full.rsplit(".", 1)[1] not in _KERAS3_BACKEND
            ):
                two = True
                break
    return "2" if two and not three else "3" if three and not two else ""


def summarize(tree: ast.Module) -> FileSummary:
    """The compact summary of one parsed file."""
    out = FileSummary()
    class_nodes = _imports_and_classes(tree, out)
    walk = _Walk(tree)
    dynamic: dict[str, set[str]] = {}
    for assign in walk.assigns:  # `Cls.forward = fn` anywhere in the module
        for target in assign.targets:
            if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
                dynamic.setdefault(target.value.id, set()).add(target.attr)
    for call in walk.calls:  # setattr(Cls, "forward", fn)
        if (
            isinstance(call.func, ast.Name)
            and call.func.id == "setattr"
            and len(call.args) >= 2
            and isinstance(call.args[0], ast.Name)
            and isinstance(call.args[1], ast.Constant)
            and isinstance(call.args[1].value, str)
        ):
            dynamic.setdefault(call.args[0].id, set()).add(call.args[1].value)
    out.classes = [_class_summary(node, walk, dynamic) for node in class_nodes]
    _usage(walk, out)
    out.keras = _keras_generation(tree, out, walk.calls)
    return out


__all__ = ["SUMMARY_VERSION", "ClassSummary", "FileSummary", "InitFacts", "dotted", "summarize"]
