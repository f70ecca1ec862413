"""Grade one sanitized submission in a worker process (never touches the gradebook).

The parent hands over the notebook whose locked cells nbgrader has already restored from the
source; the worker executes it under limits in a temporary folder, replays the hidden checks
outside the kernel (sealed grading), scans the student's cells for attacks on the grader
(flags only), and returns the executed notebook. Only the parent writes the gradebook.
"""
from __future__ import annotations

import os
import tempfile
import threading
import time
from dataclasses import asdict
from pathlib import Path

import nbformat

from .config import REPO, Limits
from .execute import execute_notebook, kernel_env
from .sandbox import enforced

SEALED_FAILED = "HiddenTestFailed"
# what the kernel may import, read-only at their own paths (grade cells import grader.hidden)
CODE_PATHS = [str(REPO / "course"), str(REPO / "grader")]
EXCLUDED_PATHS = [str(REPO / "grader" / "bugs")]   # inside CODE_PATHS, never shown to the kernel


def _watch_parent(parent_pid: int) -> None:
    """Exit this worker (and so its kernel, which watches us) when the grading process is gone
    (e.g. SIGKILL): it no longer exists, or our own parent (the fork server) went with it."""
    first_ppid = os.getppid()

    def loop():
        while True:
            time.sleep(0.5)
            try:
                os.kill(parent_pid, 0)
            except ProcessLookupError:
                os._exit(1)
            except PermissionError:
                pass
            if os.getppid() != first_ppid:
                os._exit(1)
    threading.Thread(target=loop, daemon=True).start()


def init_worker(parent_pid: int) -> None:
    """ProcessPoolExecutor initializer."""
    _watch_parent(parent_pid)


def _source_notebook(path: str):
    return nbformat.read(path, as_version=4)


def _sealed_failures(cell_source: str, sealed_dir: Path) -> list[str]:
    """Replay the hidden checks of one grade cell outside the kernel; the failure messages."""
    import importlib

    from .hidden.sealed import hidden_calls, replay_check

    failures = []
    for module, name, n_args, kw in hidden_calls(cell_source):
        check = getattr(importlib.import_module(module), name)
        if not hasattr(check, "__wrapped_check__"):
            continue   # not decorated with @hidden_check: the kernel's verdict is all there is
        try:
            replay_check(check, sealed_dir / f"{module}.{name}", n_args, kw)
        except AssertionError as exc:
            failures.append(f"{name}: {str(exc).splitlines()[0] if str(exc) else 'failed'}")
        except Exception as exc:   # a wrong type from student code, replayed
            failures.append(f"{name}: {type(exc).__name__}: {str(exc)[:200]}")
    return failures


def _guard_setup(ipython_dir: Path, source_nb) -> dict:
    """Kernel startup that makes the exercises' references unusable from graded student code."""
    from .hidden.guard import kernel_setup
    from .integrity import exercise_function_names
    return kernel_setup(ipython_dir, exercise_function_names(source_nb))


def _diagnoses(assignment: str, grade_id: str, sealed_dir: Path) -> list[str]:
    """The catalogued mistakes the student's recorded behaviour matches (advisory)."""
    try:
        from .diagnose import diagnose
        return diagnose(assignment, grade_id, sealed_dir)
    except Exception:   # diagnosis is a hint; it never costs a grade
        return []


def _apply_sealed(nb, source_nb, sealed_dir: Path, assignment: str = "") -> None:
    """Zero the grade cells whose hidden checks fail when replayed outside the kernel (sealed
    grading, ``grader/hidden/sealed.py``): only the grader's own process decides."""
    try:
        import grader.hidden.sealed  # noqa: F401
    except ImportError:
        return
    sources = {c.metadata["nbgrader"]["grade_id"]: c.source for c in source_nb.cells
               if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if not meta.get("grade") or meta.get("grade_id") not in sources:
            continue
        if any(o.output_type == "error" for o in cell.get("outputs", [])):
            continue   # already zero; its own error message is the better explanation
        try:
            failures = _sealed_failures(sources[meta["grade_id"]], sealed_dir)
        except Exception as exc:   # an instructor-side error: visible, and no free points
            failures = [f"replay failed: {type(exc).__name__}: {exc}"]
        if failures and assignment:
            failures += [f"Likely mistake: {d}" for d in _diagnoses(assignment, meta["grade_id"], sealed_dir)]
        if failures:
            cell.outputs.append(nbformat.v4.new_output(
                "error", ename=SEALED_FAILED, evalue="; ".join(failures),
                traceback=[f"{SEALED_FAILED}: " + "; ".join(failures)]))


def _integrity_flags(nb, source_nb) -> list[str]:
    try:
        from .integrity import scan_submission, summarize
    except ImportError:
        return []
    try:
        summary = summarize(scan_submission(nb, source_nb))
    except Exception:   # the scan is advisory; a parse failure is not the student's problem
        return []
    return [f"review: {summary}"] if summary else []


def run_job(job: dict) -> dict:
    """Execute one submission. ``job`` keys: ``nb`` (notebook JSON), ``assignment``,
    ``source`` (path of the source notebook), ``limits`` (dict), ``env`` (extra kernel env),
    optionally ``code_paths`` (what the sandboxed kernel may import, default CODE_PATHS).
    Returns ``{"nb": executed JSON, "events": [...], "flags": [...], "seconds": float,
    "sandbox": what was in force (``grader.sandbox.enforced``)}``."""
    started = time.monotonic()
    nb = nbformat.reads(job["nb"], as_version=4)
    source_nb = _source_notebook(job["source"])
    limits = Limits(**job["limits"])
    with tempfile.TemporaryDirectory(prefix="grader-run-") as tmp:
        tmp = Path(tmp).resolve()
        cwd, home, sealed = tmp / "work", tmp / "home", tmp / "sealed"
        for d in (cwd, home, sealed):
            d.mkdir()
        nbformat.write(nb, str(cwd / f"{job['assignment']}.ipynb"))
        env = kernel_env(home, {**job.get("env", {}), "GRADER_SEALED_DIR": str(sealed)})
        env.update(_guard_setup(Path(env["IPYTHONDIR"]), source_nb))
        box = {"run_dir": tmp, "code": job.get("code_paths", CODE_PATHS), "exclude": EXCLUDED_PATHS}
        executed, events = execute_notebook(nb, cwd, limits, env, box)
        applied = enforced(tmp)
        _apply_sealed(executed, source_nb, sealed, job["assignment"])
    return {"nb": nbformat.writes(executed), "events": events, "sandbox": applied,
            "flags": _integrity_flags(nb, source_nb), "seconds": time.monotonic() - started}


def limits_dict(limits: Limits) -> dict:
    return asdict(limits)
