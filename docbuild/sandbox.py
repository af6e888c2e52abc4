"""Sandbox: run a brand pack's Jinja templates so they can read the book's data and do nothing else.

A brand's templates are untrusted. `make_environment` gives a Jinja environment in which:

* only plain data can be read: attributes and items of str, numbers, lists, tuples, dicts and
  Markup (plus a few string and dict methods templates need), never of a `Path` or any other object
  passed by mistake, and nothing that starts with "_";
* only macros, loops, blocks and the environment's own globals can be called;
* growth is bounded before it happens: `range()` (10,000 numbers), `**` and `*` on numbers,
  repetition and concatenation of text and lists (`*`, `+`, `~`), `%`-formatting and the filters
  that can widen text (`center`, `indent`, `format`, `replace`, `join`, `wordwrap`, `batch`,
  `slice`, `tojson`), values kept in a `namespace()`, and the total text a render produces;
* macros and loops may nest 100 deep, includes and extends 50 deep.

`render_limited` adds a deadline (checked in every call, attribute lookup, operator, loop over
`range` and piece of output, with a watchdog that interrupts even a loop that does none of these)
and turns whatever a template raises into `TemplateProblem(filename, lineno, message)`, found from
the template frames of the traceback: staff see the template file and line, never a traceback.
`plain` turns the build's dataclasses into the plain data templates are given.
"""
from __future__ import annotations

import contextvars
import ctypes
import dataclasses
import datetime
import enum
import math
import re
import sys
import threading
import time
import types
from pathlib import PurePath
from typing import Any, Callable

import jinja2
from jinja2 import filters as jinja_filters
from jinja2.compiler import CodeGenerator
from jinja2.runtime import BlockReference, LoopContext, Macro, TemplateReference, markup_join, str_join
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from jinja2.utils import Cycler, Joiner, Namespace
from markupsafe import Markup

MAX_RANGE = 10_000             # numbers one range() may count
MAX_TEXT = 50_000_000          # characters in one value a template builds
MAX_ITEMS = 100_000            # items in one list a template builds
MAX_OUTPUT = 200_000_000       # characters one render (or one macro call) may produce
MAX_BUDGET = 400_000_000       # characters a render may build in all, intermediate values included
MAX_INT_BITS = 16_384          # about 4,900 digits
MAX_WIDTH = 10_000             # widths for center, indent, wordwrap and %-formats
MAX_DEPTH = 100                # nested macro calls and recursive loops
MAX_INCLUDES = 50              # nested include / extends
STR_METHODS = frozenset({"join", "upper", "lower", "title", "capitalize", "strip", "lstrip", "rstrip",
                         "startswith", "endswith", "replace"})
DICT_METHODS = frozenset({"items", "get", "keys", "values"})
LOOP_ATTRS = frozenset({"index", "index0", "revindex", "revindex0", "first", "last", "length", "depth",
                        "depth0", "previtem", "nextitem", "cycle", "changed"})
_PERCENT = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?([diouxXeEfFgGcrsa%])")


class TemplateProblem(Exception):
    """A template that failed: where (template file and line) and why, in words for staff."""

    def __init__(self, filename: str, lineno: int, message: str):
        super().__init__(f"{filename}:{lineno}: {message}" if lineno else f"{filename}: {message}")
        self.filename, self.lineno, self.message = filename, lineno, message

    def __reduce__(self):
        return (TemplateProblem, (self.filename, self.lineno, self.message))


class TemplateLimit(TemplateProblem):
    """A template stopped because it ran too long, nested too deep or built too much."""

    def __init__(self, message: str, filename: str = "", lineno: int = 0):
        super().__init__(filename, lineno, message)

    def __reduce__(self):
        return (TemplateLimit, (self.message, self.filename, self.lineno))


class _Overtime(BaseException):
    """Raised into a render by the watchdog; BaseException, so no `except Exception` swallows it."""


@dataclasses.dataclass
class _State:
    deadline: float
    seconds: float
    depth: int = 0
    built: int = 0


_STATE: contextvars.ContextVar[_State | None] = contextvars.ContextVar("docbuild_sandbox", default=None)


def _tick() -> None:
    state = _STATE.get()
    if state is not None and time.monotonic() > state.deadline:
        raise TemplateLimit(_overtime_message(state.seconds))


def _overtime_message(seconds: float) -> str:
    return (f"the template was still running after {seconds:g} seconds (a loop inside a loop, or a macro "
            "or include that calls itself?): make it do less")


def _charge(size: int, what: str) -> None:
    """Refuse a value of `size` characters or items before it is built; count it against the budget."""
    limit = MAX_ITEMS if what == "list" else MAX_TEXT
    if size > limit:
        unit = "items" if what == "list" else "characters"
        raise TemplateLimit(f"the template would build a {what} of {size:,} {unit}; the limit is {limit:,}: "
                            "it repeats or joins too much")
    state = _STATE.get()
    if state is not None:
        state.built += size
        if state.built > MAX_BUDGET:
            raise TemplateLimit(f"the template builds more than {MAX_BUDGET:,} characters in all: "
                                "it repeats or joins too much")


# ---- plain values and their sizes -------------------------------------------------------------

_PLAIN = (str, int, float, bool, type(None), list, tuple, dict)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, enum.Enum)


def _measure(value: Any, limit_items: int = MAX_ITEMS, limit_chars: int = MAX_TEXT) -> tuple[int, int]:
    """(items, characters) in a nested value, counting shared parts each time they appear; stops
    counting once past either limit."""
    items = chars = 0
    todo = [value]
    while todo and items <= limit_items and chars <= limit_chars:
        item = todo.pop()
        if isinstance(item, str):
            chars += len(item)
        elif isinstance(item, (list, tuple)):
            items += len(item)
            todo.extend(item)
        elif isinstance(item, dict):
            items += len(item)
            todo.extend(item.values())
    return items, chars


def _check_value(value: Any) -> Any:
    """Refuse a list or dict that is (or prints as) too big; return `value`."""
    if isinstance(value, (list, tuple, dict)):
        items, chars = _measure(value)
        if items > MAX_ITEMS:
            _charge(items, "list")
        if chars > MAX_TEXT:
            _charge(chars, "text")
    elif isinstance(value, str) and len(value) > MAX_TEXT:
        _charge(len(value), "text")
    return value


def _text_size(value: Any) -> int:
    return len(value) if isinstance(value, str) else _measure(value)[1] + 32


# ---- guarded operators ------------------------------------------------------------------------

def _check_power(base: Any, exponent: Any) -> None:
    if isinstance(base, int) and isinstance(exponent, int) and exponent > 0 and abs(base) > 1:
        bits = exponent * math.log2(abs(base))
        if bits > MAX_INT_BITS:
            raise TemplateLimit(f"{base} ** {exponent} is a number of about {bits * 0.30103:,.0f} digits; "
                                f"templates may compute numbers of up to about {MAX_INT_BITS * 0.30103:,.0f} "
                                "digits")


def _check_multiply(left: Any, right: Any) -> None:
    if isinstance(left, int) and isinstance(right, int):
        if left.bit_length() + right.bit_length() > MAX_INT_BITS:
            raise TemplateLimit("the template multiplies numbers into one too large to use")
        return
    sequence, count = (left, right) if isinstance(right, int) else (right, left)
    if isinstance(sequence, (str, list, tuple)) and isinstance(count, int):
        _charge(len(sequence) * max(count, 0), "text" if isinstance(sequence, str) else "list")


def _check_add(left: Any, right: Any) -> None:
    if isinstance(left, str) and isinstance(right, str):
        _charge(len(left) + len(right), "text")
    elif isinstance(left, (list, tuple)) and isinstance(right, (list, tuple)):
        _charge(len(left) + len(right), "list")


def check_percent_format(template: str, values: Any) -> None:
    """Refuse a %-format whose widths (or `*`) or repeated values would make huge text."""
    specs = _PERCENT.findall(template)
    for width, precision, _ in specs:
        for number in (width, precision):
            if number == "*" or (number and int(number) > MAX_WIDTH):
                raise TemplateLimit(f"the format {template[:40]!r} asks for a width of {number}; "
                                    f"the limit is {MAX_WIDTH:,}")
    pieces = values.values() if isinstance(values, dict) else values if isinstance(values, tuple) else [values]
    longest = max((_text_size(piece) for piece in pieces), default=0)
    _charge(len(template) + len(specs) * longest, "text")


def _tilde(values: tuple, kind: str) -> str:
    """The `~` operator: joined text, refused before it is built when too long."""
    _charge(sum(_text_size(value) for value in values), "text")
    return (markup_join if kind == "markup" else str_join)(values)


def _joined(pieces: Any) -> str:
    """Environment.concat: the output of a template or macro, with the deadline and a size limit."""
    parts, total = [], 0
    for count, piece in enumerate(pieces):
        parts.append(piece)
        total += len(piece)
        if not count & 255:
            _tick()
            if total > MAX_OUTPUT:
                raise TemplateLimit(f"the template produces more than {MAX_OUTPUT:,} characters: "
                                    "it repeats too much")
    if total > MAX_OUTPUT:
        raise TemplateLimit(f"the template produces more than {MAX_OUTPUT:,} characters: it repeats too much")
    return "".join(parts)


# ---- limited globals --------------------------------------------------------------------------

class LimitedRange:
    """What range() gives templates: a range of at most MAX_RANGE numbers whose loops watch the
    deadline."""

    __slots__ = ("numbers",)

    def __init__(self, numbers: range):
        self.numbers = numbers

    def __iter__(self) -> Any:
        for count, number in enumerate(self.numbers):
            if not count & 1023:
                _tick()
            yield number

    def __len__(self) -> int:
        return len(self.numbers)

    def __getitem__(self, key: Any) -> Any:
        value = self.numbers[key]
        return LimitedRange(value) if isinstance(value, range) else value

    def __contains__(self, value: Any) -> bool:
        return value in self.numbers

    def __reversed__(self) -> Any:
        return iter(LimitedRange(self.numbers[::-1]))

    def __repr__(self) -> str:
        return repr(self.numbers)


def limited_range(*args: int) -> LimitedRange:
    numbers = range(*args)
    try:
        count = len(numbers)
    except OverflowError:
        count = sys.maxsize
    if count > MAX_RANGE:
        raise TemplateLimit(f"range() would count {count:,} numbers; templates may count at most {MAX_RANGE:,}")
    return LimitedRange(numbers)


class LimitedNamespace(Namespace):
    """namespace(): values kept in it are checked for size, so a loop cannot double one forever."""

    def __setitem__(self, name: str, value: Any) -> None:
        _tick()
        super().__setitem__(name, _check_value(value))


# ---- guarded filters --------------------------------------------------------------------------

def _replaced_size(text: str, old: str, new: str, count: Any = None) -> int:
    found = len(text) + 1 if not old else text.count(old)
    if isinstance(count, int) and count >= 0:
        found = min(found, count)
    return len(text) + found * max(len(new) - len(old), 0)


def _joined_size(separator: str, items: list) -> int:
    _charge(len(items), "list")
    return len(separator) * len(items) + sum(_text_size(item) for item in items)


def _format(value: Any, *args: Any, **kwargs: Any) -> str:
    check_percent_format(str(value), kwargs or args)
    return jinja_filters.do_format(value, *args, **kwargs)


def _center(value: Any, width: int = 80) -> str:
    _charge(max(int(width), len(str(value))), "text")
    return jinja_filters.do_center(value, width)


def _indent(s: Any, width: int | str = 4, first: bool = False, blank: bool = False) -> str:
    size, text = len(width) if isinstance(width, str) else int(width), str(s)
    if size > MAX_WIDTH:
        raise TemplateLimit(f"indent({size}) is wider than {MAX_WIDTH:,} characters")
    _charge(len(text) + (text.count("\n") + 1) * size, "text")
    return jinja_filters.do_indent(s, width, first, blank)


@jinja2.pass_eval_context
def _replace(eval_ctx: Any, s: Any, old: Any, new: Any, count: int | None = None) -> str:
    _charge(_replaced_size(str(s), str(old), str(new), count), "text")
    return jinja_filters.do_replace(eval_ctx, s, old, new, count)


@jinja2.pass_eval_context
def _join(eval_ctx: Any, value: Any, d: str = "", attribute: Any = None) -> str:
    items = list(value)
    _charge(_joined_size(str(d), items), "text")
    return jinja_filters.sync_do_join(eval_ctx, items, d, attribute)


@jinja2.pass_environment
def _wordwrap(environment: jinja2.Environment, s: Any, width: int = 79, break_long_words: bool = True,
              wrapstring: str | None = None, break_on_hyphens: bool = True) -> str:
    text = str(s)
    lines = len(text) // max(int(width), 1) + text.count("\n") + 1
    _charge(len(text) + lines * len(wrapstring or environment.newline_sequence), "text")
    return jinja_filters.do_wordwrap(environment, s, width, break_long_words, wrapstring, break_on_hyphens)


def _batch(value: Any, linecount: int, fill_with: Any = None) -> Any:
    _charge(int(linecount), "list")
    return jinja_filters.do_batch(value, linecount, fill_with)


def _slice(value: Any, slices: int, fill_with: Any = None) -> Any:
    _charge(int(slices), "list")
    return jinja_filters.sync_do_slice(value, slices, fill_with)


@jinja2.pass_eval_context
def _tojson(eval_ctx: Any, value: Any, indent: int | str | None = None) -> Markup:
    if indent is not None and (len(indent) if isinstance(indent, str) else int(indent)) > 16:
        raise TemplateLimit("tojson may indent by at most 16 spaces")
    _check_value(value)
    return jinja_filters.do_tojson(eval_ctx, value, indent)


def _guarded_filters() -> dict[str, Callable]:
    """Jinja's filters that can widen text or lists, each refusing a result over the limits first."""
    return {"format": _format, "center": _center, "indent": _indent, "replace": _replace, "join": _join,
            "wordwrap": _wordwrap, "batch": _batch, "slice": _slice, "tojson": _tojson}


def _check_str_method(name: str, text: str, args: tuple) -> tuple:
    """Refuse str.replace / str.join calls that would build too much; the arguments to call with
    (a join's items made a list, so that counting them does not use them up)."""
    if name == "replace" and len(args) >= 2:
        _charge(_replaced_size(text, str(args[0]), str(args[1]), args[2] if len(args) > 2 else None), "text")
    elif name == "join" and args:
        args = (list(args[0]), *args[1:])
        _charge(_joined_size(text, args[0]), "text")
    return args


# ---- the environment --------------------------------------------------------------------------

class _Generator(CodeGenerator):
    """Compiles `a ~ b` to a size-checked join instead of an unchecked one."""

    def visit_Concat(self, node, frame) -> None:
        if frame.eval_ctx.volatile:
            kind = "('markup' if context.eval_ctx.autoescape else 'str')"
        else:
            kind = "'markup'" if frame.eval_ctx.autoescape else "'str'"
        self.write("environment.tilde((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write(f"), {kind})")


class SafeEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox for brand templates; build it with `make_environment`."""

    code_generator_class = _Generator
    intercepted_binops = frozenset({"+", "-", "*", "/", "//", "%", "**"})
    concat = staticmethod(_joined)
    tilde = staticmethod(_tilde)

    def __init__(self, **options: Any):
        super().__init__(**options)
        self.globals["range"] = limited_range
        self.globals["namespace"] = LimitedNamespace
        self.globals.pop("lipsum", None)
        self.filters.update(_guarded_filters())

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if attr.startswith("_"):
            return False
        if isinstance(obj, str):
            return attr in STR_METHODS
        if isinstance(obj, dict):
            return attr in DICT_METHODS
        if isinstance(obj, LoopContext):
            return attr in LOOP_ATTRS
        if isinstance(obj, Cycler):
            return attr in ("next", "reset", "current")
        return isinstance(obj, Namespace) or (isinstance(obj, BlockReference) and attr == "super")

    def is_safe_callable(self, obj: Any) -> bool:
        if isinstance(obj, (Macro, BlockReference, LoopContext, Joiner, jinja2.Undefined)):
            return True
        if isinstance(obj, (types.BuiltinMethodType, types.MethodType)):
            owner = obj.__self__
            return (isinstance(owner, str) and obj.__name__ in STR_METHODS) or \
                (isinstance(owner, dict) and obj.__name__ in DICT_METHODS) or \
                (isinstance(owner, LoopContext) and obj.__name__ in LOOP_ATTRS) or \
                (isinstance(owner, Cycler) and obj.__name__ in ("next", "reset"))
        return obj is dict or any(obj is value for value in self.globals.values())

    def wrap_str_format(self, value: Any) -> None:
        return None          # str.format is not offered at all: use the |format filter

    def _readable(self, obj: Any) -> bool:
        return isinstance(obj, (*_PLAIN, LimitedRange, Namespace, TemplateReference, LoopContext, Cycler,
                                BlockReference, jinja2.Undefined))

    def getattr(self, obj: Any, attribute: str) -> Any:
        _tick()
        if not self._readable(obj):
            return self.unsafe_undefined(obj, attribute)
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        _tick()
        if not self._readable(obj):
            return self.unsafe_undefined(obj, str(argument))
        return super().getitem(obj, argument)

    def call_binop(self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any) -> Any:
        _tick()
        for value in (left, right):
            if not isinstance(value, (*_PLAIN, LimitedRange, jinja2.Undefined)):
                raise SecurityError(f"templates may only compute with text, numbers and lists, not with a "
                                    f"{type(value).__name__} ({type(left).__name__} {operator} "
                                    f"{type(right).__name__})")
        if operator == "**":
            _check_power(left, right)
        elif operator == "*":
            _check_multiply(left, right)
        elif operator == "+":
            _check_add(left, right)
        elif operator == "%" and isinstance(left, str):
            check_percent_format(left, right)
        return _check_value(super().call_binop(context, operator, left, right))

    def call(__self, __context: jinja2.runtime.Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        _tick()
        if isinstance(__obj, (types.BuiltinMethodType, types.MethodType)) and isinstance(__obj.__self__, str):
            args = _check_str_method(__obj.__name__, __obj.__self__, args)
        if not isinstance(__obj, (Macro, LoopContext)):
            return _check_value(super().call(__context, __obj, *args, **kwargs))
        for value in (*args, *kwargs.values()):
            _check_value(value)
        with _deeper():
            return _check_value(super().call(__context, __obj, *args, **kwargs))

    def get_template(self, name: Any, parent: str | None = None, globals: dict | None = None) -> jinja2.Template:
        _check_include_depth(name)
        return super().get_template(name, parent, globals)

    def select_template(self, names: Any, parent: str | None = None,
                        globals: dict | None = None) -> jinja2.Template:
        _check_include_depth(names)
        return super().select_template(names, parent, globals)


class _deeper:
    """One more level of macro call or recursive loop, refused past MAX_DEPTH."""

    def __enter__(self) -> None:
        state = _STATE.get()
        if state is not None:
            state.depth += 1
            if state.depth > MAX_DEPTH:
                state.depth -= 1
                raise TemplateLimit(f"macros call each other (or a loop recurses) more than {MAX_DEPTH} levels "
                                    "deep; a macro probably calls itself without end: stop the loop")

    def __exit__(self, *exc: Any) -> None:
        state = _STATE.get()
        if state is not None:
            state.depth -= 1


def _check_include_depth(name: Any) -> None:
    frame, depth = sys._getframe(2), 0
    while frame is not None:
        if frame.f_code.co_name == "root" and "__jinja_template__" in frame.f_globals:
            depth += 1
        frame = frame.f_back
    if depth >= MAX_INCLUDES:
        raise TemplateLimit(f"templates include or extend each other more than {MAX_INCLUDES} levels deep "
                            f"(last: {name}); one probably includes itself: stop the loop")


def make_environment(loader: jinja2.BaseLoader, **options: Any) -> jinja2.Environment:
    """A sandboxed, autoescaping, StrictUndefined environment for untrusted templates.

    `options` go to jinja2.Environment (e.g. keep_trailing_newline=True); autoescape, undefined,
    finalize and enable_async are fixed by the sandbox and may not be changed.
    """
    if options.get("autoescape", True) is not True:
        raise ValueError("brand templates always autoescape; do not pass autoescape")
    undefined = options.get("undefined", jinja2.StrictUndefined)
    if not (isinstance(undefined, type) and issubclass(undefined, jinja2.StrictUndefined)):
        raise ValueError("brand templates always use StrictUndefined; do not pass undefined")
    if options.get("enable_async") or "finalize" in options:
        raise ValueError("the sandbox sets finalize itself and does not run templates asynchronously")
    options.update(autoescape=True, undefined=undefined, finalize=_check_value)
    return SafeEnvironment(loader=loader, **options)


# ---- rendering with a deadline, and problems for staff ----------------------------------------

class _Watchdog:
    """Raises _Overtime into the rendering thread if it is still rendering after `seconds`."""

    def __init__(self, seconds: float):
        self.lock, self.armed, self.fired = threading.Lock(), False, False
        self.thread = threading.get_ident()
        self.timer = threading.Timer(seconds, self._fire)
        self.timer.daemon = True

    def __enter__(self) -> "_Watchdog":
        self.armed = True
        self.timer.start()
        return self

    def _fire(self) -> None:
        with self.lock:
            if self.armed:
                self.fired = _raise_in(self.thread, _Overtime)

    def __exit__(self, *exc: Any) -> None:
        self.timer.cancel()
        with self.lock:
            self.armed = False
            if self.fired:
                _raise_in(self.thread, None)   # a stop not delivered yet is withdrawn


def _raise_in(thread: int, exc: type[BaseException] | None) -> bool:
    try:
        setter = ctypes.pythonapi.PyThreadState_SetAsyncExc
    except AttributeError:      # not CPython: the cooperative checks still apply
        return False
    return setter(ctypes.c_ulong(thread), ctypes.py_object(exc) if exc else None) == 1


def render_limited(template: jinja2.Template, context: dict, seconds: float = 5.0) -> str:
    """Render `template` with `context`, stopping it after about `seconds`.

    Raises TemplateLimit when it runs too long, nests too deep or builds too much, and TemplateProblem
    for any other error; both carry the template file and line. Ctrl-C and exit pass through.
    """
    state = _State(time.monotonic() + seconds, seconds)
    token = _STATE.set(state)
    named = template.filename if template.filename and not template.filename.startswith("<") else None
    default = named or template.name or "template"
    try:
        with _Watchdog(seconds + 0.5):
            return template.render(context)
    except _Overtime as exc:
        file, line = _template_location(exc.__traceback__, default)
        raise TemplateLimit(_overtime_message(seconds), file, line) from None
    except Exception as exc:
        file, line, message = template_problem(exc, default)
        if isinstance(exc, TemplateLimit):
            raise TemplateLimit(message, file, line) from None
        raise TemplateProblem(file, line, message) from None
    finally:
        _STATE.reset(token)


def _template_location(tb: types.TracebackType | None, default: str) -> tuple[str, int]:
    """The innermost template file and line in a traceback (Jinja's rewritten frames or its own)."""
    found = (default, 0)
    while tb is not None:
        namespace = tb.tb_frame.f_globals
        if "__jinja_exception__" in namespace:
            name = tb.tb_frame.f_code.co_filename     # "<template>" for one not read from a file
            found = (default if name.startswith("<") else name, tb.tb_lineno)
        elif "__jinja_template__" in namespace:
            template = namespace["__jinja_template__"]
            name = template.filename if template.filename and not template.filename.startswith("<") else None
            found = (name or template.name or default, template.get_corresponding_lineno(tb.tb_lineno))
        tb = tb.tb_next
    return found


def _loader_file(tb: types.TracebackType | None) -> str | None:
    """The file a template loader was reading when it failed (FileSystemLoader's `filename`)."""
    found = None
    while tb is not None:
        name = tb.tb_frame.f_locals.get("filename") if tb.tb_frame.f_code.co_name == "get_source" else None
        found = name if isinstance(name, str) else found
        tb = tb.tb_next
    return found


def template_problem(exc: BaseException, default_name: str) -> tuple[str, int, str]:
    """(template file, line, message for staff) for anything a template raised."""
    if isinstance(exc, jinja2.TemplateSyntaxError) and exc.lineno:
        return exc.filename or exc.name or default_name, exc.lineno, f"template error: {exc.message}"
    file, line = _template_location(exc.__traceback__, default_name)
    if isinstance(exc, TemplateProblem):
        return (exc.filename, exc.lineno, exc.message) if exc.filename else (file, line, exc.message)
    if isinstance(exc, UnicodeDecodeError):
        bad_line = exc.object[:exc.start].count(b"\n") + 1 if isinstance(exc.object, bytes) else 0
        return (_loader_file(exc.__traceback__) or file, bad_line,
                "the template is not UTF-8 text: save it as UTF-8 (in most editors: Save As, encoding UTF-8)")
    return file, line, _describe(exc)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, SecurityError):
        return (f"the template uses something templates may not use ({exc}); templates may only read "
                "the book's data (text, numbers, lists) and call their own macros")
    if isinstance(exc, jinja2.UndefinedError):
        return f"{exc.message}: check the spelling of the name"
    if isinstance(exc, jinja2.TemplateNotFound):
        return f'the template "{exc.name}" does not exist: check the name after include, import or extends'
    if isinstance(exc, jinja2.TemplateError):
        return f"template error: {exc.message or exc}"
    if isinstance(exc, ZeroDivisionError):
        return "the template divides by zero: check the numbers in this expression"
    if isinstance(exc, OverflowError):
        return "a number in the template is too large to compute: check this expression"
    if isinstance(exc, RecursionError):
        return ("the template calls itself without end (a macro that calls itself, or templates that "
                "include each other): stop the loop")
    if isinstance(exc, MemoryError):
        return "the template builds more text than the computer can hold: it repeats too much"
    return f"the template failed here ({type(exc).__name__}: {exc}): check this line"


# ---- plain data for templates -----------------------------------------------------------------

def plain(value: Any, field: str = "data") -> Any:
    """`value` as plain data for a template: dataclasses and dicts become dicts, tuples, lists and sets
    become lists, dates become ISO strings, enums their values; Markup stays Markup. Raises TypeError,
    naming the field, for a path or any other object."""
    return _plain(value, field, set())


def _plain(value: Any, field: str, active: set[int]) -> Any:
    if isinstance(value, enum.Enum):
        return _plain(value.value, field, active)
    if value is None or isinstance(value, (bool, float, Markup)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, str):
        return str.__add__("", value)          # a plain str, even from a str subclass
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, PurePath):
        raise TypeError(f"{field} is a file path ({value.name!r}); templates get plain data only: "
                        "pass the file's name or its text instead")
    if id(value) in active:
        raise TypeError(f"{field} contains itself; templates get plain data only")
    active.add(id(value))
    try:
        return _plain_container(value, field, active)
    finally:
        active.discard(id(value))


def _plain_container(value: Any, field: str, active: set[int]) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name), f"{field}.{f.name}", active)
                for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {_plain_key(key, field): _plain(item, f"{field}[{key!r}]", active) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item, f"{field}[{index}]", active) for index, item in enumerate(value)]
    if isinstance(value, (set, frozenset)):
        return sorted((_plain(item, f"{field}{{…}}", active) for item in value), key=repr)
    raise TypeError(f"{field} is a {type(value).__name__}, not plain data (text, numbers, lists, dicts): "
                    "convert it before giving it to a template")


def _plain_key(key: Any, field: str) -> Any:
    if isinstance(key, enum.Enum):
        key = key.value
    if key is None or isinstance(key, (str, int, float, bool)):
        return key
    raise TypeError(f"{field} has a key of type {type(key).__name__}; templates get plain data only")
