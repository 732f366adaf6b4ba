"""A Jinja sandbox bounded in size and time, for prompt templates typed into a page anyone may open.

Jinja's own sandbox keeps a template away from Python's internals, not from the machine's memory and time:
`"x" * 4000000000`, `[prompt] * N | join`, a string doubled in a loop or nested loops would each hold a worker for
good. Here every operator and filter that can make a value grow is checked *before* it runs (an estimate of the
result's size against MAX_CHARS), every result is measured after, `range` is short, the rendered text is counted
as it is written, and a render past RENDER_SECONDS is interrupted.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import jinja2
import jinja2.compiler
import jinja2.nodes
import jinja2.sandbox
from jinja2.runtime import Context

from playground.core.budget import Interrupted, time_limit

MAX_CHARS = 200_000  # any string, list or rendered prompt a template builds (a prompt fits a few thousand tokens)
MAX_RANGE = 10_000  # items of range(); nested loops are then bounded by the time limit
MAX_INT_BITS = 4096  # integers: `10 ** 10 ** 10` would take the worker for minutes
RENDER_SECONDS = 2.0  # a shipped template renders in well under a millisecond


class LimitError(Exception):
    """A template asked for more than a prompt may take; the message names what."""


def size(value: Any, budget: int = MAX_CHARS) -> int:
    """Characters of the strings in a value plus its items, counting a shared item each time it appears; the count
    stops a little past `budget`, so measuring a huge value costs no more than measuring an allowed one."""
    total = 0
    stack = [value]
    while stack and total <= budget:
        item = stack.pop()
        if isinstance(item, str | bytes):
            total += len(item)
        elif isinstance(item, Mapping):
            total += len(item)
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            total += len(item)
            stack.extend(item)
        elif isinstance(item, int) and not isinstance(item, bool) and item.bit_length() > MAX_INT_BITS:
            raise LimitError(f"a number larger than {MAX_INT_BITS} bits")
        else:
            total += 1
    return total


def _allow(estimate: float, what: str) -> None:
    if estimate > MAX_CHARS:
        raise LimitError(f"{what} would hold more than {MAX_CHARS:,} characters or items")


def _checked(value: Any, what: str) -> Any:
    _allow(size(value), what)
    return value


_PERCENT_SPEC = re.compile(r"%[#0\- +]*(\d*)(?:\.(\d*))?")
_BRACE_FIELD = re.compile(r"\{[^{}]*\}")


def _format_estimate(text: Any, arguments: Any = ()) -> float:
    """A format string's output at most: its length, every width and precision written in its fields, the numbers
    given as arguments (a `*` or nested width) and the arguments themselves."""
    if not isinstance(text, str):
        return 0
    digits = [d for match in _PERCENT_SPEC.finditer(text) for d in match.groups() if d]
    digits += [
        d for field in _BRACE_FIELD.findall(text) if ":" in field for d in re.findall(r"\d+", field.split(":", 1)[1])
    ]
    widths = sum(int(d) if len(d) < 12 else 10**12 for d in digits)
    if isinstance(arguments, Mapping):
        values = list(arguments.values())
    else:
        values = list(arguments) if isinstance(arguments, list | tuple) else [arguments]
    numbers = sum(abs(v) for v in values if isinstance(v, int) and not isinstance(v, bool))
    return len(text) + widths + numbers + size(arguments)


def _int_args(args: Iterable[Any], what: str) -> None:
    for arg in args:
        if isinstance(arg, int) and not isinstance(arg, bool) and abs(arg) > MAX_CHARS:
            raise LimitError(f"{what} was given the number {arg}; at most {MAX_CHARS:,}")


def _sequence(value: Any) -> bool:
    return isinstance(value, str | list | tuple)


def _binop_estimate(op: str, left: Any, right: Any) -> float:
    if op == "*":
        if _sequence(left) and isinstance(right, int):
            return size(left) * max(right, 0)
        if _sequence(right) and isinstance(left, int):
            return size(right) * max(left, 0)
    power = op == "**" and isinstance(left, int) and isinstance(right, int) and abs(left) > 1 and right > 0
    if power and right * math.log2(abs(left)) > MAX_INT_BITS:
        raise LimitError(f"a power larger than {MAX_INT_BITS} bits")
    if op == "+" and _sequence(left) and _sequence(right):
        return size(left) + size(right)
    if op == "%" and isinstance(left, str):
        return _format_estimate(left, right)
    return 0


def _grows(name: str, value: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> float:
    """An upper estimate of what a string method or filter of that name returns, before it runs."""
    first = args[0] if args else None
    every = [*args, *kwargs.values()]
    if name in ("ljust", "rjust", "center", "zfill") and isinstance(first, int):
        return size(value) + first
    if name == "expandtabs" and isinstance(value, str) and isinstance(first, int):
        return len(value) + value.count("\t") * first
    if name == "replace" and isinstance(value, str) and len(args) >= 2:
        old, new = args[0], args[1]
        if isinstance(old, str) and isinstance(new, str):
            hits = len(value) + 1 if not old else value.count(old)
            return len(value) + hits * len(new)
    if name == "join":
        items = first if isinstance(value, str) else value  # str.join(items) or the join filter on items
        separator = value if isinstance(value, str) else (first or "")
        count = len(items) if isinstance(items, list | tuple | str) else 0
        return size(items) + size(separator) * count
    if name == "indent" and isinstance(value, str):
        width = first if first is not None else kwargs.get("width", 4)
        width = len(width) if isinstance(width, str) else width if isinstance(width, int) else 0
        return len(value) + (value.count("\n") + 1) * width
    if name == "wordwrap" and isinstance(value, str):
        wrap = kwargs.get("wrapstring") or (args[2] if len(args) > 2 else "\n")
        return len(value) * (1 + size(wrap))
    if name in ("format", "format_map"):
        return _format_estimate(value, every)
    if name in ("string", "tojson", "pprint", "list", "sum", "batch", "slice", "urlize", "xmlattr", "map"):
        indent = kwargs.get("indent") or (first if name == "tojson" else None)
        return size(value) * (1 + (indent if isinstance(indent, int) else 0)) + size(every)
    return 0


class _Generator(jinja2.compiler.CodeGenerator):
    """Compiles `a ~ b` (string concatenation) through the environment, so it is checked like `+`."""

    def visit_Concat(self, node: jinja2.nodes.Concat, frame: jinja2.compiler.Frame) -> None:
        self.write("environment.checked_concat((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


def _guard_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)  # keeps jinja_pass_arg: context and environment filters still get theirs
    def guarded(*args: Any, **kwargs: Any) -> Any:
        plain = [a for a in args if not isinstance(a, jinja2.Environment | Context | jinja2.nodes.EvalContext)]
        value, rest = (plain[0], tuple(plain[1:])) if plain else (None, ())
        _int_args([*rest, *kwargs.values()], f"the {name} filter")
        _allow(_grows(name, value, rest, kwargs), f"the {name} filter")
        return _checked(function(*args, **kwargs), f"the {name} filter")

    return guarded


class BoundedSandbox(jinja2.sandbox.ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox (no list.append in a loop) with every growing operation checked before it runs."""

    code_generator_class = _Generator
    intercepted_binops = frozenset(("*", "**", "+", "%", "//", "/", "-"))

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.globals["range"] = self._range
        self.globals.pop("lipsum", None)  # lipsum(n=...) writes paragraphs by the thousand
        self.filters = {name: _guard_filter(name, f) for name, f in self.filters.items()}

    @staticmethod
    def _range(*args: int) -> range:
        numbers = range(*args)
        if len(numbers) > MAX_RANGE:
            raise LimitError(f"range() may give at most {MAX_RANGE:,} numbers, not {len(numbers):,}")
        return numbers

    def checked_concat(self, parts: tuple[Any, ...]) -> str:
        """The `~` operator: the parts as text, joined, refused when the result would be too long."""
        texts = [str(p) if not isinstance(p, str) else p for p in parts]
        _allow(sum(len(t) for t in texts), "the ~ operator")
        return "".join(texts)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        _allow(_binop_estimate(operator, left, right), f"the {operator} operator")
        return _checked(self.binop_table[operator](left, right), f"the {operator} operator")

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        name = getattr(__obj, "__name__", "a function")
        _int_args([*args, *kwargs.values()], f"{name}()")
        _allow(_grows(name, getattr(__obj, "__self__", None), args, kwargs), f"{name}()")
        return _checked(super().call(__context, __obj, *args, **kwargs), f"{name}()")

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        template = value.__self__

        @functools.wraps(wrapped)
        def checked(*args: Any, **kwargs: Any) -> str:
            _allow(_format_estimate(template, [*args, *kwargs.values()]), "str.format")
            return str(_checked(wrapped(*args, **kwargs), "str.format"))

        return checked


def render_bounded(template: jinja2.Template, context: Mapping[str, Any]) -> str:
    """Render with the size of the output and the time bounded; LimitError says which bound was hit."""
    pieces: list[str] = []
    written = 0
    try:
        with time_limit(RENDER_SECONDS):
            for piece in template.generate(**context):
                written += len(piece)
                if written > MAX_CHARS:
                    raise LimitError(f"the rendered prompt would be longer than {MAX_CHARS:,} characters")
                pieces.append(piece)
    except Interrupted:
        raise LimitError(f"rendering took longer than {RENDER_SECONDS:g} s") from None
    except RecursionError:
        raise LimitError("a macro calls itself too deeply") from None
    except MemoryError:
        raise LimitError("it ran out of memory") from None
    return "".join(pieces)
