"""The one form a loss is declared in: ``f`` and ``f_value_and_grad`` derived from one definition.

A loss is written once, as the function of its value-and-gradient signature (the value's
arguments plus ``grad_output``, and ``grad_out`` where the caller may give a buffer), taking a
last keyword ``want_grad`` and returning ``(value, grad)``. :func:`loss` turns it into

* ``f(...)``: the value alone, the same signature without ``grad_output``/``grad_out``, the
  definition's docstring;
* ``f.value_and_grad(...)``: ``(value, grad)`` from the same fused pass, its docstring made
  from ``grad_doc`` and the shared vector-Jacobian note;
* ``f.declaration``: a :class:`Declaration` naming the differentiable inputs, in the order
  their gradients come back, so the framework adapters can be made from the same record.

Both public functions are real functions with exact signatures (``help``, ``inspect`` and
wrong-argument errors behave as for hand-written ones), living in the module that declares them.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any, Callable

from ._docs import GRAD_NOTE

GRAD_ONLY = ("grad_output", "grad_out")  # keywords of f_value_and_grad alone


@dataclass(frozen=True)
class Declaration:
    """What a loss is, beside its code: its name, its differentiable inputs (the gradients
    ``f_value_and_grad`` returns, in this order; one name means a single gradient array, not
    a tuple), the keywords of its value function alone, and whether it takes ``grad_out``."""

    name: str
    grads: tuple[str, ...]
    value_only: tuple[str, ...] = ()
    takes_grad_out: bool = True


# Every declared loss by name, in declaration order.
LOSSES: dict[str, Declaration] = {}


def loss(*, grads: str | tuple[str, ...], grad_doc: str, value_only: tuple[str, ...] = (),
         grad_note: str = GRAD_NOTE
         ) -> Callable[[Callable[..., tuple[Any, Any]]], Callable[..., Any]]:
    """Declares the loss defined by the decorated function (see the module's docstring).

    grads: the differentiable inputs; grad_doc: the first paragraph of the value-and-gradient
    docstring (what the gradient is); value_only: keywords the value function alone takes (they
    are passed to the definition only by the value function); grad_note: the paragraph on
    grad_output and grad_out (the family's, where the shared one does not fit; empty where
    grad_doc says it all).
    """
    grads = (grads,) if isinstance(grads, str) else tuple(grads)

    def declare(definition: Callable[..., tuple[Any, Any]]) -> Callable[..., Any]:
        name = definition.__name__
        params = list(inspect.signature(definition).parameters.values())
        if params[-1].name != "want_grad":
            msg = f"{name}: a loss definition takes want_grad as its last keyword"
            raise TypeError(msg)
        params = params[:-1]
        value_params = [p for p in params if p.name not in GRAD_ONLY]
        grad_params = [p for p in params if p.name not in value_only]
        decl = Declaration(name, grads, tuple(value_only),
                           any(p.name == "grad_out" for p in params))
        doc = definition.__doc__ or ""
        value = _make(definition, name, value_params, want_grad=False, doc=doc)
        value_and_grad = _make(definition, name + "_value_and_grad", grad_params,
                               want_grad=True, doc=_grad_docstring(name, grad_doc, grad_note, decl))
        value.value_and_grad = value_and_grad  # type: ignore[attr-defined]
        value.declaration = value_and_grad.declaration = decl  # type: ignore[attr-defined]
        LOSSES[name] = decl
        return value

    return declare


def _grad_docstring(name: str, grad_doc: str, grad_note: str, decl: Declaration) -> str:
    first = grad_doc.strip()
    if not grad_note:  # the definition's grad_doc says it all
        return f":func:`{name}` and {first}\n    "
    note = grad_note.strip("\n")
    if not decl.takes_grad_out and grad_note is GRAD_NOTE:
        note = note.split(" ``grad_out``")[0].rstrip()
    return f":func:`{name}` and {first}\n\n    {note.lstrip()}\n    "


def _make(definition: Callable[..., Any], name: str, params: list[inspect.Parameter], *,
          want_grad: bool, doc: str) -> Callable[..., Any]:
    """A function `name` with exactly `params` that calls `definition` (the value alone unless
    want_grad). It is compiled in the definition's module, so that doctest, ``__module__`` and
    ``__globals__`` see it as that module's, as a hand-written function would be."""
    signature = inspect.Signature(params)
    args = []
    for p in params:
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            args.append(p.name)
        else:
            args.append(f"{p.name}={p.name}")
    defaults = {p.name: p.default for p in params if p.default is not p.empty}
    header = []
    star = False
    for p in params:
        if p.kind == p.KEYWORD_ONLY and not star:
            header.append("*")
            star = True
        header.append(p.name if p.default is p.empty else f"{p.name}=__defaults[{p.name!r}]")
    result = "" if want_grad else "[0]"
    source = (f"def __factory(__definition, __defaults):\n"
              f"    def {name}({', '.join(header)}):\n"
              f"        return __definition({', '.join(args)}, want_grad={want_grad}){result}\n"
              f"    return {name}\n")
    namespace: dict[str, Any] = {}
    exec(source, definition.__globals__, namespace)  # noqa: S102 (generated from a signature)
    fn = namespace["__factory"](definition, defaults)
    fn.__doc__ = doc
    fn.__module__ = definition.__module__
    fn.__qualname__ = name
    fn.__signature__ = signature  # annotations as written in the definition
    fn.__annotations__ = {p.name: p.annotation for p in params if p.annotation is not p.empty}
    return fn
