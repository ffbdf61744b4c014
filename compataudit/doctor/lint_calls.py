"""Lint rules that look at calls rather than class shapes.

- ``conv-weight-shape``: ``torch.conv2d(x, self.w)`` where ``self.w`` was made
  as ``nn.Parameter(torch.randn(3, 3))``: conv{1,2,3}d need a weight of rank
  3/4/5. Fires only when the shape is a literal lint can read.
- ``non-static-autograd`` (legacy call): ``MyFunction()(x)`` instantiates an
  autograd.Function, which torch >= 1.5 rejects.
"""

from __future__ import annotations

from compataudit.doctor import CONV_WEIGHT_SHAPE, NON_STATIC_AUTOGRAD, Problem
from compataudit.doctor.classes import ClassFacts, ClassIndex
from compataudit.doctor.resolve import ClassRef, SourceModule
from compataudit.model import Severity

_PARAMETER = {"torch.nn.Parameter", "torch.nn.parameter.Parameter"}
_MODULE_FOR = {"conv": "Conv", "conv_transpose": "ConvTranspose"}
_CONV_RANK = {
    f"{prefix}{op}{n}d": n + 2
    for prefix in ("torch.", "torch.nn.functional.")
    for op in ("conv", "conv_transpose")
    for n in (1, 2, 3)
}


def check_conv_weight_shape(f: ClassFacts, index: ClassIndex) -> list[Problem]:
    """A conv call whose weight has a literal shape of the wrong rank."""
    if not f.roles & {"torch-module", "torch-layer"} or not f.cls.convs:
        return []
    out: list[Problem] = []
    for line, raw_op, attr in f.cls.convs:
        shape, made_at, wrapper, factory = f.cls.shapes[attr]
        op = index.project.qualify(f.module, raw_op)
        if not isinstance(op, str) or op not in _CONV_RANK:
            continue
        if index.project.qualify(f.module, wrapper) not in _PARAMETER:
            continue
        callee = index.project.qualify(f.module, factory)
        if not (isinstance(callee, str) and callee.startswith("torch.")):
            continue
        rank = _CONV_RANK[op]
        if len(shape) == rank:
            continue
        name = op.rsplit(".", 1)[1]
        out.append(
            Problem(
                CONV_WEIGHT_SHAPE,
                Severity.ERROR,
                f.module.path,
                line,
                f.cls.name,
                f"`{name}` needs a {rank}-D weight (out_channels, in_channels/groups, kernel...) "
                f"but `self.{attr}` is created with shape {tuple(shape)} ({len(shape)}-D) at line "
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
    for line, name in mod.summary.legacy:
        target = index.project.qualify(mod, name)
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
                line,
                target.name,
                f"autograd.Function `{target.name}` is instantiated and called (legacy style): "
                "torch >= 1.5 raises RuntimeError (Legacy autograd function with non-static "
                "forward method is deprecated).",
                f"Call `{target.name}.apply(...)` instead of `{target.name}()(...)`.",
            )
        )
    return out
