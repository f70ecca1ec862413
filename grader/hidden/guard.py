"""Make the reference implementations unusable from student code while it is being graded.

The notebooks import `course/` freely, and a student could answer an exercise by calling the
reference of the same name. In a grading kernel, :func:`install` (run by the kernel's startup
file before any cell) wraps every `course` function whose name is one of the notebook's
exercises. While a hidden check is calling the student's function (``sealed.Recorder``), a
wrapped reference called directly from code outside ``course/`` and ``grader/`` raises, so the
answer is not credited; the static scan (``grader.integrity``) flags the code for review.
Demonstration cells and visible tests are unaffected, and checks that isolate an exercise
hand the student's function references through :func:`trusted`.
"""
from __future__ import annotations

import functools
import importlib
import os
import pkgutil
import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[2]
TRUSTED_DIRS = (str(_ROOT / "grader") + os.sep, str(_ROOT / "course") + os.sep)
ENV_VAR = "GRADER_GUARDED_NAMES"

_state = {"depth": 0, "violations": []}


class ReferenceUsedError(RuntimeError):
    """Raised when graded student code calls the reference implementation of an exercise."""


def _trusted_caller(depth: int = 2) -> bool:
    filename = sys._getframe(depth).f_code.co_filename
    try:
        path = str(Path(filename).resolve())
    except (OSError, ValueError):
        return False
    return path.startswith(TRUSTED_DIRS)


def _tripwire(fn, qualname: str):
    @functools.wraps(fn)
    def guarded(*args, **kwargs):
        if _state["depth"] > 0 and not _trusted_caller():
            _state["violations"].append(qualname)
            raise ReferenceUsedError(
                f"{qualname} is the course's reference implementation of an exercise; "
                "while grading, your function must compute the answer itself.")
        return fn(*args, **kwargs)
    guarded.__guarded__ = fn
    return guarded


def install(names) -> list[str]:
    """Wrap every public function of every ``course`` module whose name is in ``names``.

    Returns the qualified names that were wrapped.
    """
    import course

    names = {n for n in names if n}
    wrapped = []
    for info in pkgutil.iter_modules(course.__path__):
        module = importlib.import_module(f"course.{info.name}")
        for name in names:
            fn = getattr(module, name, None)
            if callable(fn) and not hasattr(fn, "__guarded__") and not isinstance(fn, type):
                setattr(module, name, _tripwire(fn, f"course.{info.name}.{name}"))
                wrapped.append(f"course.{info.name}.{name}")
    return wrapped


class grading:
    """Context manager marking 'the student's function is running under a hidden check'."""

    def __enter__(self):
        _state["depth"] += 1

    def __exit__(self, *exc):
        _state["depth"] -= 1
        return False


def trusted(ref):
    """Wrap a reference so student code may call it (used by ``with_reference_globals``)."""
    ref = getattr(ref, "__guarded__", ref)

    @functools.wraps(ref)
    def call(*args, **kwargs):
        return ref(*args, **kwargs)
    return call
