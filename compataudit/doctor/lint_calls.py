"""Lint rules that look at calls rather than class shapes.

- ``conv-weight-shape``: ``torch.conv2d(x, self.w)`` where ``self.w`` was made
  as ``nn.Parameter(torch.randn(3, 3))``: conv{1,2,3}d need a weight of rank
  3/4/5. Fires only when the shape is a literal lint can read.
- ``non-static-autograd`` (legacy call): ``MyFunction()(x)`` instantiates an
  autograd.Function, which torch >= 1.5 rejects.
"""

from __future__ import annotations

import ast
from typing import TypeVar

from compataudit.doctor import CONV_WEIGHT_SHAPE, NON_STATIC_AUTOGRAD, Problem
from compataudit.doctor.classes import ClassFacts, ClassIndex
from compataudit.doctor.resolve import ClassRef, SourceModule
from compataudit.model import Severity

_FACTORIES = {"randn", "rand", "zeros", "ones", "empty", "Tensor", "FloatTensor", "full"}
_PARAMETER = {"torch.nn.Parameter", "torch.nn.parameter.Parameter"}
_MODULE_FOR = {"conv": "Conv", "conv_transpose": "ConvTranspose"}
_CONV_RANK = {
    f"{prefix}{op}{n}d": n + 2
    for prefix in ("torch.", "torch.nn.functional.")
    for op in ("conv", "conv_transpose")
    for n in (1, 2, 3)
}


NodeT = TypeVar("NodeT", ast.Assign, ast.Call)


def _within(f: ClassFacts, nodes: list[NodeT]) -> list[NodeT]:
    """The nodes that lie inside the class body (by line range)."""
    end = f.node.end_lineno or f.node.lineno
    return [n for n in nodes if f.node.lineno <= n.lineno <= end]


def _literal_shape(call: ast.Call) -> tuple[int, ...] | None:
    """The literal shape given to a tensor factory, or None when it is not literal."""
    args: list[ast.expr] = list(call.args)
    if isinstance(call.func, ast.Attribute) and call.func.attr == "full":
        args = args[:1]  # torch.full(size, fill_value)
    size = next((k.value for k in call.keywords if k.arg == "size"), None)
    if size is not None:
        args = [size]
    if len(args) == 1 and isinstance(args[0], (ast.Tuple, ast.List)):
        args = list(args[0].elts)
    dims: list[int] = []
    for a in args:
        if not (isinstance(a, ast.Constant) and isinstance(a.value, int)) or isinstance(a.value, bool):
            return None
        dims.append(a.value)
    return tuple(dims) if dims else None


def _parameter_shapes(f: ClassFacts, index: ClassIndex) -> dict[str, tuple[tuple[int, ...], int]]:
    """``self.name = nn.Parameter(torch.randn(...))``: name -> (shape, line)."""
    shapes: dict[str, tuple[tuple[int, ...], int]] = {}
    for sub in _within(f, f.module.assigns_and_calls[0]):
        if len(sub.targets) != 1:
            continue
        target, value = sub.targets[0], sub.value
        if not (
            isinstance(target, ast.Attribute)
            and isinstance(target.value, ast.Name)
            and target.value.id == "self"
            and isinstance(value, ast.Call)
            and value.args
        ):
            continue
        if index.project.qualify(f.module, value.func) not in _PARAMETER:
            continue
        inner = value.args[0]
        if not isinstance(inner, ast.Call):
            continue
        callee = index.project.qualify(f.module, inner.func)
        if not (
            isinstance(callee, str) and callee.startswith("torch.") and callee.rsplit(".", 1)[1] in _FACTORIES
        ):
            continue
        shape = _literal_shape(inner)
        if shape is not None:
            shapes[target.attr] = (shape, sub.lineno)
    return shapes


def check_conv_weight_shape(f: ClassFacts, index: ClassIndex) -> list[Problem]:
    """A conv call whose weight has a literal shape of the wrong rank."""
    if not f.roles & {"torch-module", "torch-layer"}:
        return []
    shapes = _parameter_shapes(f, index)
    if not shapes:
        return []
    out: list[Problem] = []
    for sub in _within(f, f.module.assigns_and_calls[1]):
        op = index.project.qualify(f.module, sub.func)
        if not isinstance(op, str) or op not in _CONV_RANK:
            continue
        weight = (
            sub.args[1]
            if len(sub.args) > 1
            else next((k.value for k in sub.keywords if k.arg == "weight"), None)
        )
        if not (
            isinstance(weight, ast.Attribute)
            and isinstance(weight.value, ast.Name)
            and weight.value.id == "self"
            and weight.attr in shapes
        ):
            continue
        shape, made_at = shapes[weight.attr]
        rank = _CONV_RANK[op]
        if len(shape) == rank:
            continue
        name = op.rsplit(".", 1)[1]
        out.append(
            Problem(
                CONV_WEIGHT_SHAPE,
                Severity.ERROR,
                f.module.path,
                sub.lineno,
                f.node.name,
                f"`{name}` needs a {rank}-D weight (out_channels, in_channels/groups, kernel...) "
                f"but `self.{weight.attr}` is created with shape {shape} ({len(shape)}-D) at line "
                f"{made_at}: this raises RuntimeError at the first forward pass.",
                f"Create the weight with {rank} dimensions, e.g. nn.Parameter(torch.randn(out_ch, "
                f"in_ch, {', '.join(['k'] * (rank - 2))})), or use the nn.{_MODULE_FOR[name[:-2]]}"
                f"{rank - 2}d module instead of the functional form.",
            )
        )
    return out


def check_legacy_function_calls(mod: SourceModule, index: ClassIndex) -> list[Problem]:
    """``MyFunction()(x)`` or ``MyFunction().forward(...)`` on an autograd.Function."""
    out: list[Problem] = []
    for sub in mod.assigns_and_calls[1]:
        inner = sub.func.value if isinstance(sub.func, ast.Attribute) else sub.func
        if not (isinstance(inner, ast.Call) and not inner.args and not inner.keywords):
            continue
        if isinstance(sub.func, ast.Attribute) and sub.func.attr not in {"forward", "backward"}:
            continue
        target = index.project.qualify(mod, inner.func)
        if not isinstance(target, ClassRef):
            continue
        facts = index.facts(target)
        if "torch-function" not in facts.roles or facts.unknown:
            continue
        out.append(
            Problem(
                NON_STATIC_AUTOGRAD,
                Severity.ERROR,
                mod.path,
                sub.lineno,
                target.name,
                f"autograd.Function `{target.name}` is instantiated and called (legacy style): "
                "torch >= 1.5 raises RuntimeError (Legacy autograd function with non-static "
                "forward method is deprecated).",
                f"Call `{target.name}.apply(...)` instead of `{target.name}()(...)`.",
            )
        )
    return out
