"""Conv weights with a literal shape, for the ``conv-weight-shape`` rule (see summary.py)."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from compataudit.doctor.summary_init import dotted

if TYPE_CHECKING:
    from compataudit.doctor.summary import ClassSummary

_FACTORIES = frozenset({"randn", "rand", "zeros", "ones", "empty", "Tensor", "FloatTensor", "full"})


def _literal_shape(call: ast.Call) -> list[int] | None:
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
    return dims or None


def conv_facts(cls: ClassSummary, assigns: list[ast.Assign], calls: list[ast.Call]) -> None:
    for sub in assigns:
        if len(sub.targets) != 1:
            continue
        target, value = sub.targets[0], sub.value
        if not (
            isinstance(target, ast.Attribute)
            and isinstance(target.value, ast.Name)
            and target.value.id == "self"
            and isinstance(value, ast.Call)
            and value.args
            and isinstance(value.args[0], ast.Call)
        ):
            continue
        wrapper, factory = dotted(value.func), dotted(value.args[0].func)
        if not wrapper or not factory or factory.rsplit(".", 1)[-1] not in _FACTORIES:
            continue
        shape = _literal_shape(value.args[0])
        if shape is not None:
            cls.shapes[target.attr] = (shape, sub.lineno, wrapper, factory)
    if not cls.shapes:
        return
    for call in calls:
        op = dotted(call.func)
        if not op or "conv" not in op.rsplit(".", 1)[-1]:
            continue
        weight = (
            call.args[1]
            if len(call.args) > 1
            else next((k.value for k in call.keywords if k.arg == "weight"), None)
        )
        if (
            isinstance(weight, ast.Attribute)
            and isinstance(weight.value, ast.Name)
            and weight.value.id == "self"
            and weight.attr in cls.shapes
        ):
            cls.convs.append((call.lineno, op, weight.attr))
