"""Every option of every loss, validated here once and named the same way everywhere.

A word option (``reduction="mean"``, ``activation="softmax"``) is a :class:`Choice`: it checks
the word and hands the kernels the enum or flag they take, so the native layer never parses a
word. Numbers go through :func:`check_number`, thread counts through :func:`resolve_threads`.
Messages name the option, what it accepts and what it was given.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Generic, TypeVar

from . import _config

E = TypeVar("E")


class Choice(Generic[E]):
    """An option that takes one of a few words (or None, where None is listed), each standing
    for the value the kernel takes: ``Choice("hinge", {"squared": True, "linear": False})``."""

    def __init__(self, name: str, words: dict[Any, E]) -> None:
        self.name = name
        self.words = words

    def __call__(self, value: Any) -> E:
        """The kernel's value for the word `value`; a ValueError naming the option if it is not
        one of the words (True and False never stand for 1 and 0)."""
        if not isinstance(value, bool):
            try:
                return self.words[value]
            except (KeyError, TypeError):  # TypeError: an unhashable value
                pass
        msg = f"{self.name}: expected one of {self.spelled()}, got {value!r}"
        raise ValueError(msg)

    def check(self, value: Any) -> Any:
        """`value` itself, once known to be one of the words."""
        self(value)
        return value

    def spelled(self) -> str:
        return ", ".join(repr(w) for w in self.words)

    def restricted(self, *words: Any) -> Choice[E]:
        """The same option taking only `words` (a loss that has no use for the others)."""
        return Choice(self.name, {w: self.words[w] for w in words})


def _core_enum(name: str, members: dict[str, str]) -> dict[str, Any]:
    """{word: member of _core.<name>}: the kernels' enum as the words spell it."""
    from . import _core

    enum = getattr(_core, name)
    return {word: getattr(enum, member) for word, member in members.items()}


REDUCTION = Choice("reduction", _core_enum("Reduction",
                                           {"none": "NONE", "mean": "MEAN", "sum": "SUM"}))
REDUCTIONS = tuple(REDUCTION.words)


def check_reduction(reduction: Any) -> str:
    """The reduction word, one of "none", "mean", "sum"."""
    return REDUCTION.check(reduction)


def reduction_enum(reduction: str) -> Any:
    """The kernels' enum for a checked reduction word."""
    return REDUCTION.words[reduction]


def check_number(value: Any, name: str, *, minimum: float | None = None,
                 strict: bool = False, maximum: float | None = None) -> float:
    """A finite real scalar within [minimum, maximum] (minimum excluded when strict).

    Infinite options are refused: every formula here turns them into NaN or into a loss that
    no longer depends on its input (inf - inf, 0 * inf, exp(inf)).
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        msg = f"{name}: expected a real number, got {type(value).__name__}"
        raise TypeError(msg)
    v = float(value)
    too_small = minimum is not None and (v <= minimum if strict else v < minimum)
    too_large = maximum is not None and v > maximum
    if too_small or too_large or not math.isfinite(v):
        lo = "-inf" if minimum is None else f"{minimum:g}"
        hi = "inf" if maximum is None else f"{maximum:g}"
        bracket = "(" if strict or minimum is None else "["
        hi_bracket = ")" if maximum is None else "]"
        msg = f"{name}: expected a number in {bracket}{lo}, {hi}{hi_bracket}, got {value!r}"
        raise ValueError(msg)
    return v


def check_integer(value: Any, name: str, *, minimum: int | None = None,
                  allow_none: bool = False) -> int | None:
    """An integer (not a bool) >= minimum; None passes where `allow_none`."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        expected = "an integer or None" if allow_none else "an integer"
        msg = f"{name}: expected {expected}, got {type(value).__name__}"
        raise TypeError(msg)
    if minimum is not None and value < minimum:
        msg = f"{name}: expected an integer >= {minimum}, got {value}"
        raise ValueError(msg)
    return int(value)


def resolve_threads(num_threads: int | None) -> int:
    """The thread count a call runs on (see ``_config.resolve_num_threads``)."""
    return _config.resolve_num_threads(num_threads)
