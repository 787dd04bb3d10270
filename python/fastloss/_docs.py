"""Docstring assembly: shared parameter text, written once."""

from __future__ import annotations

import textwrap
from typing import Callable, TypeVar

F = TypeVar("F", bound=Callable)


def fill(doc: str, **parts: str) -> str:
    """`doc` with its ``<name>`` placeholders replaced by the texts in `parts`."""
    for name, text in parts.items():
        # the placeholder's own line carries the first line's indentation
        doc = doc.replace(f"<{name}>", text.strip("\n").lstrip(" "))
    return doc


def fill_doc(**parts: str) -> Callable[[F], F]:
    """Replaces ``<name>`` placeholders in the decorated function's docstring."""

    def decorate(func: F) -> F:
        func.__doc__ = fill(func.__doc__ or "", **parts)
        return func

    return decorate


GRAD_NOTE = """
    ``grad_output`` (a scalar, or an array shaped like the unreduced loss when
    ``reduction="none"``) scales the gradient as a vector-Jacobian product does: the gradient
    returned is that of ``sum(grad_output * loss)``. Returns ``(loss, grad)``; ``grad`` has the
    shape and dtype of the differentiable input. ``grad_out``, an array of exactly that shape
    and dtype (C-contiguous, not overlapping an input), receives the gradient in place and is
    returned as ``grad``: a training loop that reuses it allocates nothing."""


# The NaN/inf policy of each family, one sentence, added to the Notes of every public loss of
# the family (by add_nan_policies, called once at import).
NAN_POLICY = {
    "regression": (
        "NaN and inf: NaN in ``pred`` or ``target`` gives NaN in the items it reaches and in "
        "their gradients (NaN in, NaN out); an option outside its documented domain (infinite "
        "ones included) is a ValueError."),
    "classification": (
        "NaN and inf: NaN in the logits or targets gives NaN in the items it reaches and in "
        "their gradients (NaN in, NaN out; ignored items stay 0); probabilities outside "
        "[0, 1] and options outside their documented domains are a ValueError."),
    "metric": (
        "NaN and inf: NaN in an embedding gives NaN in every loss item it reaches (NaN in, "
        "NaN out: a hinge does not hide it); options outside their documented domains are a "
        "ValueError."),
    "segmentation": (
        "NaN and inf: NaN in the input or dense targets gives NaN in the losses of the "
        "classes and units it reaches (NaN in, NaN out); probabilities outside [0, 1] "
        "(``activation=None``) and options outside their documented domains are a "
        "ValueError."),
    "rl": (
        "NaN and inf: NaN in rewards, values or logits gives NaN in the returns and losses it "
        "reaches (NaN in, NaN out); a -inf logit (a masked action) has probability 0; "
        "options outside their documented domains are a ValueError."),
    "pointcloud": (
        "NaN and inf: coordinates must be finite; NaN or inf in a point (padding aside) is a "
        "ValueError, since its nearest neighbour is undefined."),
    "transport": (
        "NaN and inf: points must be finite and masses finite and non-negative (a cost "
        "matrix may hold +inf to forbid a pair); anything else is a ValueError, never a hang."),
}



def _with_note(doc: str, sentence: str) -> str:
    """doc with `sentence` as the last paragraph of its Notes section (made if missing, before
    References or Examples)."""
    indent = "    "
    paragraph = textwrap.fill(sentence, 92, initial_indent=indent, subsequent_indent=indent)
    for header in ("References\n    ----------", "Examples\n    --------"):
        at = doc.find(indent + header)
        if at >= 0:
            break
    else:
        at = len(doc.rstrip()) + 1
        doc = doc.rstrip() + "\n\n"
    if "Notes\n    -----" in doc[:at]:
        return doc[:at].rstrip() + "\n\n" + paragraph + "\n\n" + doc[at:]
    return doc[:at] + f"{indent}Notes\n{indent}-----\n" + paragraph + "\n\n" + doc[at:]


def add_nan_policies(namespace: dict) -> None:
    """Adds the family's NaN/inf sentence to each public loss (not its _value_and_grad, whose
    docstring points at it) in `namespace`."""
    for name, obj in namespace.items():
        module = getattr(obj, "__module__", "").split(".")  # fastloss.<family>._module
        family = module[1] if len(module) > 2 and module[0] == "fastloss" else None
        if family in NAN_POLICY and callable(obj) and not name.endswith("_value_and_grad") and obj.__doc__:
            obj.__doc__ = _with_note(obj.__doc__, NAN_POLICY[family])
