"""Sealed grading: hidden checks decided outside the student's kernel.

Inside the kernel, a hidden check runs as usual (so the student sees its message), but every
value that crosses from student code into the check (the student's functions' return values,
their in-place changes to arguments, and any array the grade cell passes in) is recorded as
plain arrays plus a JSON skeleton, never a pickle. After the notebook has run, the grader's
own process runs the same check again with a *replay* of those recordings in place of the
student's functions. Only that second verdict counts: a student who patches NumPy, the test
helpers or the check itself changes nothing outside their kernel.

The kernel records only when the grader sets ``GRADER_SEALED_DIR``; students and nbval run
the checks plainly.
"""
from __future__ import annotations

import functools
import json
import os
import textwrap
import types
from pathlib import Path

import numpy as np

from grader.hidden import guard

ENV_VAR = "GRADER_SEALED_DIR"
MAX_ITEMS = 10_000  # longest iterator a student function may return before we stop reading


class _Encoder:
    """Turn nested tuples/lists/dicts of arrays and numbers into JSON + a dict of arrays."""

    def __init__(self):
        self.arrays: dict[str, np.ndarray] = {}

    def encode(self, value):
        if value is None:
            return {"t": "none"}
        if isinstance(value, (bool, np.bool_)):
            return {"t": "bool", "v": bool(value)}
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            return {"t": "int", "v": int(value)}
        if isinstance(value, (float, np.floating)):
            return {"t": "float", "v": repr(float(value))}
        if isinstance(value, str):
            return {"t": "str", "v": value[:10_000]}
        if isinstance(value, np.ndarray):
            arr = np.array(value, copy=True, subok=False)
            if arr.dtype == object:
                return {"t": "unsupported", "v": "object array"}
            key = f"a{len(self.arrays)}"
            self.arrays[key] = arr
            return {"t": "arr", "k": key}
        if isinstance(value, (tuple, list)):
            return {"t": type(value).__name__, "v": [self.encode(v) for v in value]}
        if isinstance(value, dict):
            if not all(isinstance(k, str) for k in value):
                return {"t": "unsupported", "v": "dict with non-string keys"}
            return {"t": "dict", "v": {k: self.encode(v) for k, v in value.items()}}
        if _is_iterator(value):
            items = []
            for i, item in enumerate(value):
                if i >= MAX_ITEMS:
                    break
                items.append(self.encode(item))
            return {"t": "iter", "v": items}
        return {"t": "unsupported", "v": type(value).__name__}


def _decode(node, arrays):
    t = node["t"]
    if t == "none":
        return None
    if t in ("bool", "int", "str"):
        return node["v"]
    if t == "float":
        return float(node["v"])
    if t == "arr":
        return np.array(arrays[node["k"]], copy=True)
    if t == "tuple":
        return tuple(_decode(v, arrays) for v in node["v"])
    if t == "list":
        return [_decode(v, arrays) for v in node["v"]]
    if t == "dict":
        return {k: _decode(v, arrays) for k, v in node["v"].items()}
    if t == "iter":
        return iter([_decode(v, arrays) for v in node["v"]])
    if t == "raised":
        raise AssertionError(f"your function raised {node['v']}")
    return _Unsupported(node["v"])


class _Unsupported:
    """Stands in for a value that could not cross the boundary; fails every comparison."""

    def __init__(self, what):
        self.what = what

    def __repr__(self):
        return f"<unsupported value: {self.what}>"


class Recorder:
    """Wraps a student function in the kernel and logs what every call returns and changes.

    Values are encoded the moment the call returns: a later call may change them in place.
    """

    def __init__(self, fn, log: list, encoder: "_Encoder"):
        self.fn, self.log, self.encoder = fn, log, encoder
        functools.update_wrapper(self, fn, updated=())

    def __call__(self, *args, **kwargs):
        entry = {"out": {"t": "none"}, "args_after": {"t": "list", "v": []}}
        self.log.append(entry)
        items = None
        try:
            with guard.grading():  # the student's code runs here (and in a returned generator)
                out = self.fn(*args, **kwargs)
                if _is_iterator(out):
                    items = list(_take(out))
        except BaseException as exc:
            entry["raised"] = f"{type(exc).__name__}: {str(exc)[:300]}"
            raise
        if items is not None:
            entry["out"] = {"t": "iter", "v": [self.encoder.encode(x) for x in items]}
            out = iter(items)
        else:
            entry["out"] = self.encoder.encode(out)
        entry["args_after"] = self.encoder.encode([list(args), kwargs])
        return out


def _is_iterator(value) -> bool:
    return isinstance(value, types.GeneratorType) or (
        hasattr(value, "__next__") and hasattr(value, "__iter__") and not isinstance(value, np.ndarray))


guard.UNTRUSTED_CODE.add(Recorder.__call__.__code__)


def _take(iterator):
    for i, item in enumerate(iterator):
        if i >= MAX_ITEMS:
            return
        yield item


class Replayer:
    """Plays back a recorded student function outside the kernel."""

    def __init__(self, name, calls, arrays, inner_code=None):
        self.__name__ = name
        self.calls, self.arrays, self.position = calls, arrays, 0
        self.__code__ = inner_code  # lets with_reference_globals recognise it

    def __call__(self, *args, **kwargs):
        if self.position >= len(self.calls):
            raise AssertionError(f"{self.__name__} was called more often than during grading")
        call = self.calls[self.position]
        self.position += 1
        if "raised" in call:
            raise AssertionError(f"{self.__name__} raised {call['raised']}")
        recorded_args, recorded_kwargs = _decode(call["args_after"], self.arrays)
        _restore(args, recorded_args)
        _restore(tuple(kwargs.values()), tuple(recorded_kwargs.get(k) for k in kwargs))
        return _decode(call["out"], self.arrays)


def _restore(live, recorded):
    """Copy in-place changes the student made to arguments onto the live arguments."""
    for cur, rec in zip(live, recorded):
        if isinstance(cur, np.ndarray) and isinstance(rec, np.ndarray) and cur.shape == rec.shape:
            if cur.flags.writeable:
                np.copyto(cur, rec, casting="unsafe")
        elif isinstance(cur, dict) and isinstance(rec, dict):
            cur.clear()
            cur.update(rec)


def hidden_check(check=None, *, adapt=None):
    """Decorator for every ``check_*`` function in ``grader/hidden/nbNN.py``.

    In a kernel started by the grader it records the values crossing from student code; in the
    grader's process (:func:`replay_check`) the same function runs on the recordings.

    Parameters
    ----------
    adapt : callable, optional
        For exercises that are classes: turns the grade cell's arguments into as many plain
        functions (defined in the hidden module, driving the student's class and returning
        arrays, numbers and dicts), which are what crosses the boundary.
    """
    if check is None:
        return lambda c: hidden_check(c, adapt=adapt)

    @functools.wraps(check)
    def wrapper(*args, **kwargs):
        if adapt is not None:
            args = tuple(adapt(*args))
        out_dir = os.environ.get(ENV_VAR)
        if not out_dir:
            return check(*args, **kwargs)
        log = {"functions": {}, "data": {}, "encoder": _Encoder()}
        wrapped_args = [_wrap(a, f"arg{i}", log) for i, a in enumerate(args)]
        wrapped_kwargs = {k: _wrap(v, k, log) for k, v in kwargs.items()}
        try:
            return check(*wrapped_args, **wrapped_kwargs)
        finally:
            _save(Path(out_dir), f"{check.__module__}.{check.__name__}", log)
    wrapper.__wrapped_check__ = check
    return wrapper


def _wrap(value, slot, log):
    if callable(value) and not isinstance(value, (np.ndarray, type)):
        calls: list = []
        log["functions"][slot] = calls
        return Recorder(value, calls, log["encoder"])
    log["data"][slot] = log["encoder"].encode(value)
    return value


def _save(out_dir: Path, key: str, log: dict) -> None:
    record = {"functions": log["functions"], "data": log["data"]}
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = out_dir / key  # each check runs once per notebook; a re-run replaces its record
    np.savez(f"{stem}.npz", _=np.zeros(0), **log["encoder"].arrays)
    Path(f"{stem}.json").write_text(json.dumps(record))


def replay_check(check, record_stem: Path, n_args: int, kw_names=()) -> None:
    """Run ``check`` in the grader's process on the recording at ``record_stem`` (.json/.npz).

    Raises whatever the check raises (``AssertionError`` for a wrong answer); a malformed or
    missing recording raises ``AssertionError`` too, so missing evidence earns nothing.
    """
    try:
        record = json.loads(Path(f"{record_stem}.json").read_text())
        with np.load(f"{record_stem}.npz", allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except Exception as exc:
        raise AssertionError(f"no usable record of this check ({type(exc).__name__})") from None
    inner = getattr(check, "__wrapped_check__", check)
    slots = [f"arg{i}" for i in range(n_args)] + list(kw_names)
    values = {}
    for slot in slots:
        if slot in record["functions"]:
            values[slot] = Replayer(slot, record["functions"][slot], arrays)
        elif slot in record["data"]:
            values[slot] = _decode(record["data"][slot], arrays)
        else:
            raise AssertionError(f"the record lacks argument {slot}")
    args = [values[f"arg{i}"] for i in range(n_args)]
    inner(*args, **{k: values[k] for k in kw_names})


# ---------------------------------------------------------------- the grader's side

HIDDEN_BLOCK = ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")


def hidden_block(source: str) -> str:
    """The code between the hidden-test markers of a grade cell, dedented ("" if none)."""
    start, end = HIDDEN_BLOCK
    if start not in source:
        return ""
    return textwrap.dedent(source.split(start, 1)[1].split(end, 1)[0].strip("\n"))


def hidden_calls(source: str) -> list[tuple[str, str, int, tuple]]:
    """The hidden-check calls in a grade cell's source (from the instructor's notebook).

    Returns
    -------
    list of (module, function, number of positional args, keyword names)
        e.g. ``("grader.exercises.nb01", "check_predict", 1, ())``.
    """
    import ast

    if HIDDEN_BLOCK[0] not in source:
        return []
    tree = ast.parse(hidden_block(source))
    aliases = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("grader.exercises"):
            for a in node.names:
                aliases[a.asname or a.name] = f"{node.module}.{a.name}"
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("grader.exercises"):
                    aliases[a.asname or a.name] = a.name
    calls = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name) and node.func.value.id in aliases
                and node.func.attr.startswith("check_")):
            calls.append((aliases[node.func.value.id], node.func.attr, len(node.args),
                          tuple(k.arg for k in node.keywords)))
    return calls


def sealed_verdicts(source_nb, sealed_dir: Path) -> dict[str, list[str]]:
    """Replay every hidden check of every grade cell; report failures per grade_id.

    Parameters
    ----------
    source_nb : NotebookNode
        The instructor's source notebook (trusted: its grade cells say which checks to run).
    sealed_dir : Path
        Where the kernel recorded the values crossing each check.

    Returns
    -------
    dict
        grade_id -> list of failure messages (empty list: every hidden check passed).
    """
    import importlib

    verdicts = {}
    for cell in source_nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if not meta.get("grade") or cell.cell_type != "code":
            continue
        failures = []
        for module, name, n_args, kw in hidden_calls(cell.source):
            check = getattr(importlib.import_module(module), name)
            try:
                replay_check(check, Path(sealed_dir) / f"{module}.{name}", n_args, kw)
            except AssertionError as exc:
                failures.append(f"{name}: {str(exc).splitlines()[0] if str(exc) else 'failed'}")
            except Exception as exc:  # a wrong type from student code, replayed
                failures.append(f"{name}: {type(exc).__name__}: {exc}")
        verdicts[meta["grade_id"]] = failures
    return verdicts
