"""``make demo``: grade a sample class, print the gradebook and the class report's summary.

The sample class of each assignment: the reference solution, the untouched student version,
and two students with realistic bugs (catalogued bugs of the exercise registry applied to the
solution, then turned into a student notebook: markers and hidden tests removed, code kept).

Everything is written into one work directory, laid out like a real class's, so that
``python -m grader --workdir <it> feedback`` (``export``, ``report``) works on it afterwards:
``--workdir`` when given, else ``<default work directory>/demo`` (so the real class's gradebook
is not touched). The student versions are generated into ``<workdir>/release/`` (nbgrader's
release folder), never into the repository's ``assignments/``. A work directory that already
holds grades of a real class (records but no ``demo_class/`` folder) is refused.
"""
from __future__ import annotations

import time
from pathlib import Path

import nbformat

from . import autograde, config, export, records, registry, release, report

CLASS_DIR = "demo_class"   # the sample submissions, inside the demo's work directory


def _bugs(assignment: str, count: int = 2) -> list:
    """``count`` catalogued bugs in different exercises (fewer if the catalog is shorter)."""
    chosen, cells = [], set()
    for bug in (b for ex in registry.exercises(assignment) for b in ex.bugs):
        if bug.cell not in cells:
            chosen.append(bug)
            cells.add(bug.cell)
        if len(chosen) == count:
            break
    return chosen


def _with_bug(nb, bug):
    nb = nbformat.from_dict(nb)
    for cell in nb.cells:
        if registry.nbgrader_meta(cell).get("grade_id") == bug.cell:
            cell.source = bug.apply(cell.source)
            return nb
    raise ValueError(f"bug {bug.id}: no cell {bug.cell}")


def make_class(assignment: str, folder: Path, source_dir: Path,
               student_version: Path) -> dict[str, str]:
    """Write the sample class of one assignment under ``folder``; return student -> description.
    ``student_version`` is the released notebook (the untouched student's submission)."""
    source = Path(source_dir) / assignment / f"{assignment}.ipynb"
    solution = nbformat.read(str(source), as_version=4)
    students = {"reference": (release.studentize(solution, keep_solutions=True),
                              "the reference solution"),
                "untouched": (nbformat.read(str(student_version), as_version=4),
                              "the student version, nothing filled in")}
    for bug in _bugs(assignment):
        buggy = release.studentize(_with_bug(solution, bug), keep_solutions=True)
        students[f"bug_{bug.id}"[:60]] = (buggy, f"bug in {bug.cell}: {bug.diagnosis}")
    for student, (nb, _) in students.items():
        path = Path(folder) / student / assignment / f"{assignment}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, str(path))
    return {s: d for s, (_, d) in students.items()}


def check_workdir(work: Path) -> None:
    """``ValueError`` for a work directory holding a real class's grades (records without
    ``demo_class/``): the sample students would be mixed into its gradebook."""
    if records.all_results(work) and not (Path(work) / CLASS_DIR).is_dir():
        raise ValueError(f"{work} holds the grades of a real class; the demo would add its sample "
                         f"students to them. Choose an empty folder: python -m grader demo "
                         f"--workdir <new folder>")


def demo(work: Path, all_assignments: bool = False, jobs: int | None = None,
         source_dir: Path = config.SOLUTIONS) -> str:
    """Run the demo in the work directory ``work``; return the printed gradebook table."""
    started = time.monotonic()
    work = Path(work)
    check_workdir(work)
    available = config.list_assignments(source_dir)
    if not available:
        raise ValueError(f"no assignments in {source_dir} yet")
    chosen = available if all_assignments else [available[0]]
    submissions = work / CLASS_DIR
    for a in chosen:
        release.ensure_gradebook(a, work, source_dir)   # generates <work>/release/<a>/
        version = work / "release" / a / f"{a}.ipynb"
        for student, what in make_class(a, submissions, source_dir, version).items():
            print(f"  {a} / {student}: {what[:90]}")
    print(f"student versions generated into {work / 'release'}")
    autograde.autograde("all" if all_assignments else chosen[0], submissions, work, jobs=jobs,
                        source_dir=source_dir)
    text = export.table(work, chosen)
    print(text)
    csv_path = export.write_csv(work, work / "grades.csv", chosen)
    html_path, summary = report.write_report(work, chosen)
    print(f"{summary}\nclass report: {html_path}\ngrades CSV: {csv_path}\nwork directory: {work}")
    print(f"next: python -m grader --workdir {work} feedback   (or export, report)")
    print(f"demo took {time.monotonic() - started:.0f} s")
    return text
