"""Docstring assembly: shared parameter text, written once."""

from __future__ import annotations

from typing import Callable, TypeVar

F = TypeVar("F", bound=Callable)


def fill_doc(**parts: str) -> Callable[[F], F]:
    """Replaces ``<name>`` placeholders in the decorated function's docstring."""

    def decorate(func: F) -> F:
        doc = func.__doc__ or ""
        for name, text in parts.items():
            # the placeholder's own line carries the first line's indentation
            doc = doc.replace(f"<{name}>", text.strip("\n").lstrip(" "))
        func.__doc__ = doc
        return func

    return decorate


GRAD_NOTE = """
    ``grad_output`` (a scalar, or an array shaped like the unreduced loss when
    ``reduction="none"``) scales the gradient as a vector-Jacobian product does: the gradient
    returned is that of ``sum(grad_output * loss)``. Returns ``(loss, grad)``; ``grad`` has the
    shape and dtype of the differentiable input. ``grad_out``, an array of exactly that shape
    and dtype (C-contiguous, not overlapping an input), receives the gradient in place and is
    returned as ``grad``: a training loop that reuses it allocates nothing."""
