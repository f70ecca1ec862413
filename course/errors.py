"""How errors read in a student's notebook: short, and about the student's code.

IPython prints every frame of a traceback, so a failed test used to show 25-45 lines of
``course/checks.py`` before its message. Importing ``course`` in an IPython kernel calls
:func:`install`, which changes only how some errors are *shown* (the exception, its type and
message, and whether the cell failed stay as they were, so nbclient, nbgrader and the grader
see the same error):

- a failed check (:class:`course.checks.CheckFailure`): the message, its hint on a line of its
  own, and the test's line that failed;
- ``NotImplementedError`` from an exercise the student has not written yet: "not attempted
  yet", the exercise's number and what to do;
- ``NameError`` for a function of an exercise (or a variable of a cell) that has not run yet,
  e.g. after Run All stopped at an unfinished exercise: which exercise or cell defines it;
- any other exception raised inside one of the student's functions: "your `softmax` raised
  ValueError: ..." with the frames of the notebook's cells only, not NumPy's.

Everything else keeps IPython's usual traceback. The notebook itself (for exercise numbers) is
found through ``JPY_SESSION_NAME`` (set by Jupyter for each kernel) or, failing that, as the
only ``.ipynb`` in the kernel's working directory; without it the messages just leave out the
numbers.
"""
from __future__ import annotations

import ast
import json
import linecache
import os
import re
import sys
from pathlib import Path

__all__ = ["check_failure_lines", "install", "notebook_names", "short_lines"]

RED, BOLD, RESET = "\x1b[31m", "\x1b[1m", "\x1b[0m"
EXERCISE = re.compile(r"^#+\s*(Exercise\s+\d+[^\n]*)", re.M)


def _shell():
    if "IPython" not in sys.modules:
        return None
    from IPython import get_ipython

    return get_ipython()


def install(shell=None) -> bool:
    """Show errors in ``shell`` (default: the running IPython, if any) the short way.

    Returns whether a handler was installed; outside IPython nothing happens."""
    shell = shell or _shell()
    if shell is None or not hasattr(shell, "set_custom_exc"):
        return False
    if getattr(shell, "_course_short_errors", False):
        return True
    shell.set_custom_exc((Exception,), _handler)
    shell._course_short_errors = True
    return True


def _handler(shell, etype, value, tb, tb_offset=None):
    """IPython's custom exception handler: shows the short form, or the usual traceback."""
    try:
        lines = short_lines(value, tb)
    except Exception:   # never let a display helper hide the student's error
        lines = None
    if lines is None:
        shell.showtraceback((etype, value, tb), tb_offset=tb_offset)
        return None
    shell._showtraceback(etype, value, lines)
    return lines


# --- the cells of the running notebook ---------------------------------------------------------

def _is_cell(filename: str) -> bool:
    shell = _shell()
    names = getattr(getattr(shell, "compile", None), "_filename_map", {}) if shell else {}
    return filename in names or filename.startswith("<ipython-input-")


def _where(filename: str, lineno: int) -> str:
    shell = _shell()
    try:
        kind, label = shell.compile.format_code_name(filename)
        place = f"{kind} {label}"
    except Exception:
        place = "cell"
    return f"{place}, line {lineno}"


def _cell_frames(tb) -> list:
    """(filename, lineno, function name, source line) of the traceback's frames in cells."""
    frames = []
    while tb is not None:
        code = tb.tb_frame.f_code
        if _is_cell(code.co_filename):
            line = linecache.getline(code.co_filename, tb.tb_lineno).strip()
            frames.append((code.co_filename, tb.tb_lineno, code.co_name, line))
        tb = tb.tb_next
    return frames


def _frame_lines(frames) -> list[str]:
    out = []
    for filename, lineno, func, line in frames:
        inside = "" if func == "<module>" else f" in {func}()"
        out.append(f"  {_where(filename, lineno)}{inside}:  {line}")
    return out


def _notebook_path() -> Path | None:
    shell = _shell()
    session = (getattr(shell, "user_ns", {}) or {}).get("__session__") if shell else None
    for candidate in (session, os.environ.get("JPY_SESSION_NAME")):
        if candidate and str(candidate).endswith(".ipynb") and Path(candidate).is_file():
            return Path(candidate)
    found = sorted(Path.cwd().glob("*.ipynb"))
    return found[0] if len(found) == 1 else None


_CACHE: dict = {}


def notebook_names(path: Path | None = None) -> dict:
    """Who defines each top-level name of a notebook: ``{name: (kind, where)}``.

    ``kind`` is ``"exercise"`` for a name a solution cell defines (``where``: the heading of
    its exercise, e.g. ``"Exercise 3: `mse_gradients` (6 points)"``) and ``"cell"`` for one a
    demonstration cell makes (``where``: that cell's first line). Read from the saved file."""
    path = path or _notebook_path()
    if path is None:
        return {}
    key = (str(path), path.stat().st_mtime_ns)
    if key not in _CACHE:
        _CACHE.clear()
        _CACHE[key] = _read_names(json.loads(path.read_text(encoding="utf-8")))
    return _CACHE[key]


def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _defined(source: str) -> list[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return re.findall(r"^(?:def|class)\s+(\w+)", source, re.M)
    names = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
            names.append(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.For, ast.With)):
            targets = node.targets if isinstance(node, ast.Assign) else (
                [item.optional_vars for item in node.items if item.optional_vars]
                if isinstance(node, ast.With) else [node.target])
            for target in targets:
                names += [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names += [(a.asname or a.name).split(".")[0] for a in node.names]
    return names


def _read_names(nb: dict) -> dict:
    names: dict = {}
    heading = None
    for cell in nb.get("cells", []):
        source = _source(cell)
        if cell.get("cell_type") == "markdown":
            match = EXERCISE.search(source)
            heading = match.group(1).strip() if match else heading
            continue
        if cell.get("cell_type") != "code":
            continue
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade"):
            continue                              # names a test cell makes are the test's own
        kind = "exercise" if meta.get("solution") else "cell"
        exercise = heading or f"the exercise `{meta.get('grade_id', '?')}`"
        first = next((line.strip() for line in source.splitlines() if line.strip()), "")
        for name in _defined(source):
            if kind == "exercise" or name not in names:
                names[name] = (kind, exercise if kind == "exercise" else first)
    return names


# --- the short forms -----------------------------------------------------------------------------

def check_failure_lines(exc) -> list[str]:
    """A failed check: its message, the hint on its own line, and the test's line."""
    message = str(exc)
    text, _, hint = message.partition(" Hint: ")
    lines = [f"{RED}{BOLD}Test failed:{RESET} {text}"]
    if hint:
        lines.append(f"{BOLD}Hint:{RESET} {hint}")
    frames = _cell_frames(exc.__traceback__)
    if frames:
        lines.append("The test that failed:")
        lines += _frame_lines(frames)
    return lines


def short_lines(value, tb) -> list[str] | None:
    """The short form of an error raised in a cell, or None for IPython's usual traceback."""
    if hasattr(value, "_render_traceback_"):
        return value._render_traceback_()
    frames = _cell_frames(tb)
    if not frames:
        return None
    if isinstance(value, NotImplementedError):
        return _not_attempted(value, tb, frames)
    if isinstance(value, NameError) and getattr(value, "name", None):
        return _not_defined(value)
    return _raised_inside(value, frames)


def _innermost_frame(tb):
    while tb.tb_next is not None:
        tb = tb.tb_next
    return tb.tb_frame.f_code


def _exercise_of(name: str) -> str | None:
    kind, where = notebook_names().get(name, (None, None))
    return where if kind == "exercise" else None


def _not_attempted(value, tb, frames) -> list[str] | None:
    code = _innermost_frame(tb)
    if not _is_cell(code.co_filename) or code.co_name == "<module>":
        # a stub of course/ names its exercise in the message; a bare raise in a cell is not
        # about an exercise
        if not str(value):
            return None
        return [f"{RED}{BOLD}Not available yet:{RESET} {value}"] + _frame_lines(frames)
    name = code.co_name
    exercise = _exercise_of(name)
    what = exercise if exercise and f"`{name}`" in exercise else (
        f"{exercise}, `{name}`" if exercise else f"`{name}`")
    lines = [f"{RED}{BOLD}Not attempted yet:{RESET} {what} still raises NotImplementedError.",
             f"Replace `raise NotImplementedError()` in the cell of `{name}` with your code, run "
             "that cell, then run this one again."]
    callers = [f for f in frames if f[2] == "<module>"]
    return lines + _frame_lines(callers[:1])


def _not_defined(value) -> list[str] | None:
    name = value.name
    kind, where = notebook_names().get(name, (None, None))
    if kind == "exercise":
        lines = [f"{RED}{BOLD}Not defined yet:{RESET} `{name}` is your answer to {where}; its "
                 "cell has not run in this kernel.",
                 "Run this cell after that exercise's cell. If Run All stopped at an unfinished "
                 "exercise above it, finish that one first (or run the cells one by one)."]
    elif kind == "cell":
        lines = [f"{RED}{BOLD}Not defined yet:{RESET} `{name}` is made by an earlier cell that "
                 "has not run in this kernel, the one starting",
                 f"    {where}",
                 "Run the cells above this one first (Run > Run All Above Selected Cell)."]
    else:
        return None
    return lines


def _raised_inside(value, frames) -> list[str] | None:
    """An exception raised inside one of the notebook's functions, shown by its cell frames."""
    exercises = {n for n, (kind, _) in notebook_names().items() if kind == "exercise"}
    inside = [f for f in frames if f[2] != "<module>"]
    if not inside:
        return None
    mine = [f for f in inside if f[2] in exercises] or (inside if not exercises else [])
    if not mine:
        return None
    name = mine[-1][2]
    summary = f"{type(value).__name__}: {value}" if str(value) else type(value).__name__
    lines = [f"{RED}{BOLD}Your `{name}` raised{RESET} {summary}"]
    return lines + _frame_lines(frames)
