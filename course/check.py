"""``python -m course.check <notebook>``: check a notebook before submitting it.

Runs the notebook from a fresh kernel, top to bottom, as the grader will (every cell runs even
after an error; no progress bars; the grader's time limits), and prints one line per exercise:
its points, and whether it is not attempted yet, passes its visible tests, waits for an
earlier exercise, or fails (with the test's message). Then whether the notebook runs top to
bottom without an error, and how long it took against the grading limits. Exit status 0 when
every exercise passes its visible tests and no cell raised, 1 otherwise, 2 when the file cannot
be read. Hidden tests run only at grading, so passing here is necessary, not sufficient.
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

__all__ = ["CELL_TIMEOUT", "NOTEBOOK_TIMEOUT", "check_notebook", "main", "report"]

#: the grader's limits per cell and per notebook, in CPU seconds (tests/test_course_check.py
#: keeps them equal); here they are applied to wall-clock time, the stricter of the two
CELL_TIMEOUT = 300.0
NOTEBOOK_TIMEOUT = 900.0

EXERCISE = re.compile(r"^#+\s*Exercise\s+(\d+)", re.M)
WAITING = "Visible checks skipped until these pass their test cells above:"


def _first_line(text: str) -> str:
    return (str(text).strip().splitlines() or [""])[0]


def _error(cell):
    return next((o for o in cell.get("outputs", []) if o.get("output_type") == "error"), None)


def _printed(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", [])
                   if o.get("output_type") == "stream")


def run(nb, folder: Path, cell_timeout: float = CELL_TIMEOUT):
    """Execute ``nb`` (a copy) in a fresh kernel in ``folder``; return it and the seconds taken."""
    from nbclient import NotebookClient

    env = {**os.environ, "COURSE_GRADING": "1", "TQDM_DISABLE": "1", "MPLBACKEND": "Agg"}
    client = NotebookClient(nb, timeout=cell_timeout, kernel_name="python3", allow_errors=True,
                            interrupt_on_timeout=True,
                            resources={"metadata": {"path": str(folder)}})
    start = time.perf_counter()
    # the kernel's own stderr (ipykernel's start-up warnings) is not the notebook's output
    client.execute(env=env, stderr=subprocess.DEVNULL)
    return nb, time.perf_counter() - start


def check_notebook(nb) -> tuple[list[dict], dict | None]:
    """What an executed notebook says: one entry per exercise (``number``, ``grade_id``,
    ``points``, ``status`` in passes/not attempted/waits/fails, ``detail``) and the first
    cell that raised outside the test cells' failures (``index``, ``first_line``, ``error``),
    or None."""
    exercises, first_error, number, stub = [], None, None, False
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            match = EXERCISE.search(cell.source)
            number = int(match.group(1)) if match else number
            continue
        if cell.cell_type != "code":
            continue
        meta = cell.metadata.get("nbgrader", {})
        error = _error(cell)
        if meta.get("solution"):
            stub = "raise NotImplementedError()" in cell.source
        if meta.get("grade"):
            printed = _printed(cell)
            if stub or (error is not None and error.get("ename") == "NotImplementedError"):
                status, detail = "not attempted", ""
            elif error is not None:
                value = _first_line(error.get("evalue", ""))
                status, detail = "fails", f"{error.get('ename')}: {value}" if value else \
                    error.get("ename", "")
            elif WAITING in printed:
                waits = printed.split(WAITING, 1)[1].strip().splitlines()[0]
                status, detail = "waits", f"for {waits} (its visible checks were skipped)"
            else:
                status, detail = "passes", ""
            exercises.append({"number": number, "grade_id": meta.get("grade_id", "?"),
                              "points": float(meta.get("points", 0)), "status": status,
                              "detail": detail})
        if error is not None and first_error is None:
            first = next((line for line in cell.source.splitlines() if line.strip()), "").strip()
            first = first if len(first) <= 50 else first[:47] + "..."
            first_error = {"index": index, "first_line": first,
                           "error": f"{error.get('ename')}: {_first_line(error.get('evalue', ''))}"
                           .rstrip(": ")}
    return exercises, first_error


LABELS = {"passes": "passes its visible tests", "not attempted": "not attempted yet",
          "waits": "waits", "fails": "fails"}


def _points(x: float) -> str:
    return f"{x:g}"


def report(name: str, exercises: list[dict], first_error: dict | None, seconds: float,
           out=sys.stdout) -> int:
    """Print the report of one checked notebook; return the exit status."""
    print(f"{name}: run from a fresh kernel with the visible tests, as the grader runs it "
          "(hidden tests run only at grading)", file=out)
    width = max([len(e["grade_id"]) for e in exercises] + [8]) - len("test_")
    for e in exercises:
        label = f"Exercise {e['number']}" if e["number"] is not None else ""
        gid = e["grade_id"].removeprefix("test_")
        detail = f": {e['detail']}" if e["detail"] else ""
        print(f"  {label:<11} {gid:<{width}} {_points(e['points']):>3} points  "
              f"{LABELS[e['status']]}{detail}", file=out)
    passing = sum(e["points"] for e in exercises if e["status"] == "passes")
    total = sum(e["points"] for e in exercises)
    print(f"  exercises passing their visible tests: {_points(passing)} of {_points(total)} "
          "points (the hidden tests decide the grade)", file=out)
    if first_error is None:
        print("  runs top to bottom: yes, no cell raised an error", file=out)
    else:
        print(f"  runs top to bottom: no, the first error is in cell {first_error['index'] + 1} "
              f"({first_error['first_line']}): {first_error['error']}", file=out)
    verdict = "within" if seconds <= NOTEBOOK_TIMEOUT else "OVER"
    print(f"  took {seconds:.1f} s: {verdict} the grader's {NOTEBOOK_TIMEOUT:.0f} s for the "
          f"notebook ({CELL_TIMEOUT:.0f} s per cell; the grader counts CPU time, which is at "
          "most this wall-clock time)", file=out)
    ok = first_error is None and all(e["status"] == "passes" for e in exercises) \
        and seconds <= NOTEBOOK_TIMEOUT
    return 0 if ok else 1


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course.check", description=__doc__.split(
        "\n\n")[0])
    parser.add_argument("notebook", type=Path, help="the .ipynb file to check")
    parser.add_argument("--cell-timeout", type=float, default=CELL_TIMEOUT,
                        help="seconds one cell may run (default: the grader's %(default)g)")
    args = parser.parse_args(argv)
    import nbformat

    try:
        nb = nbformat.read(str(args.notebook), as_version=4)
    except Exception as exc:
        print(f"{args.notebook}: cannot be read as a notebook ({type(exc).__name__}: {exc})")
        return 2
    executed, seconds = run(nb, args.notebook.resolve().parent, args.cell_timeout)
    exercises, first_error = check_notebook(executed)
    if not exercises:
        print(f"{args.notebook.name}: no exercises found (no nbgrader test cells): is this a "
              "course notebook?")
    return report(args.notebook.name, exercises, first_error, seconds)


if __name__ == "__main__":
    sys.exit(main())
