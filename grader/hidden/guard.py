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

import importlib
import importlib.abc
import importlib.machinery
import os
import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[2]
TRUSTED_DIRS = (str(_ROOT / "grader") + os.sep, str(_ROOT / "course") + os.sep)
ENV_VAR = "GRADER_GUARDED_NAMES"

_state = {"depth": 0, "violations": []}
_originals: dict[int, object] = {}   # id(wrapper) -> the reference it guards
UNTRUSTED_CODE: set = set()          # code in grader/ that calls student functions (the Recorder)


class ReferenceUsedError(RuntimeError):
    """Raised when graded student code calls the reference implementation of an exercise."""


def _trusted_caller(depth: int = 2) -> bool:
    frame = sys._getframe(depth)
    if frame.f_code in UNTRUSTED_CODE:  # the student handed the reference itself to the check
        return False
    try:
        path = str(Path(frame.f_code.co_filename).resolve())
    except (OSError, ValueError):
        return False
    return path.startswith(TRUSTED_DIRS)


def _tripwire(fn, qualname: str):
    # no functools.wraps: it would hand the unguarded function out as __wrapped__
    def guarded(*args, **kwargs):
        if _state["depth"] > 0 and not _trusted_caller():
            _state["violations"].append(qualname)
            raise ReferenceUsedError(
                f"{qualname} is the course's reference implementation of an exercise; "
                "while grading, your function must compute the answer itself.")
        return fn(*args, **kwargs)
    guarded.__name__, guarded.__qualname__, guarded.__doc__ = fn.__name__, fn.__qualname__, fn.__doc__
    guarded.__module__ = fn.__module__
    _originals[id(guarded)] = fn
    return guarded


def _wrap_module(module, names) -> list[str]:
    """Replace the functions of ``module`` named in ``names`` by tripwires; their qualnames."""
    short = module.__name__.rsplit(".", 1)[-1]
    wrapped = []
    for name in names:
        fn = getattr(module, name, None)
        if callable(fn) and id(fn) not in _originals and not isinstance(fn, type):
            setattr(module, name, _tripwire(fn, f"course.{short}.{name}"))
            wrapped.append(f"course.{short}.{name}")
    return wrapped


class _GuardedLoader(importlib.abc.Loader):
    """Runs a ``course`` module's own loader, then wraps the module's exercise functions."""

    def __init__(self, loader, names):
        self.loader, self.names = loader, names

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        self.loader.exec_module(module)
        _wrap_module(module, self.names)

    def __getattr__(self, attr):   # get_source, get_filename, ... for tracebacks and inspect
        return getattr(self.loader, attr)


class _GuardOnImport(importlib.abc.MetaPathFinder):
    """Finds ``course.*`` modules like the normal path finder, with a :class:`_GuardedLoader`."""

    def __init__(self, names):
        self.names = names

    def find_spec(self, fullname, path, target=None):
        if not fullname.startswith("course.") or path is None:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is not None and spec.loader is not None:
            spec.loader = _GuardedLoader(spec.loader, self.names)
        return spec


def install(names) -> list[str]:
    """Wrap every public function of a ``course`` module whose name is in ``names``: now in the
    modules already imported, and at import time in the others (importing every module up front
    would add about a second to each grading kernel's start).

    Returns the qualified names wrapped now. The import hook is installed once, with the names
    of the first call (a grading kernel calls this once, from its startup file).
    """
    names = frozenset(n for n in names if n)
    wrapped = []
    for modname, module in list(sys.modules.items()):
        if modname.startswith("course.") and module is not None:
            wrapped += _wrap_module(module, names)
    if names and not any(isinstance(f, _GuardOnImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _GuardOnImport(names))
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
    ref = _originals.get(id(ref), ref)

    def call(*args, **kwargs):
        return ref(*args, **kwargs)
    call.__name__ = getattr(ref, "__name__", "reference")
    return call


STARTUP = """# written by the grader: guard the exercises' references before any student cell runs
import os
from grader.hidden import guard
guard.install(os.environ.get(guard.ENV_VAR, "").split(","))
"""


def kernel_setup(ipython_dir: Path, exercise_names) -> dict:
    """Write the kernel's IPython startup file; return the environment variables it reads.

    Parameters
    ----------
    ipython_dir : Path
        The kernel's ``IPYTHONDIR``.
    exercise_names : iterable of str
        Names of the functions the notebook's exercises define.
    """
    startup = Path(ipython_dir) / "profile_default" / "startup"
    startup.mkdir(parents=True, exist_ok=True)
    (startup / "00-grader-guard.py").write_text(STARTUP)
    return {ENV_VAR: ",".join(sorted(exercise_names))}
