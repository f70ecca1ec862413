"""``make demo``: release the assignments, grade a sample class, print the gradebook.

The sample class of each assignment: the reference solution, the untouched student version,
and two students with realistic bugs (catalogued bugs of the exercise registry applied to the
solution, then turned into a student notebook: markers and hidden tests removed, code kept).
Everything is written under ``<workdir>/demo`` so the real class's gradebook is not touched.
"""
from __future__ import annotations

import time
from pathlib import Path

import nbformat

from . import autograde, config, export, registry, release


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
        if cell.metadata.get("nbgrader", {}).get("grade_id") == bug.cell:
            cell.source = bug.apply(cell.source)
            return nb
    raise ValueError(f"bug {bug.id}: no cell {bug.cell}")


def make_class(assignment: str, folder: Path, source_dir: Path = config.SOLUTIONS,
               release_dir: Path = config.ASSIGNMENTS) -> dict[str, str]:
    """Write the sample class of one assignment under ``folder``; return student -> description."""
    solution = nbformat.read(str(Path(source_dir) / assignment / f"{assignment}.ipynb"), as_version=4)
    students = {"reference": (release.studentize(solution, keep_solutions=True), "the reference solution"),
                "untouched": (nbformat.read(str(Path(release_dir) / assignment / f"{assignment}.ipynb"),
                                            as_version=4), "the student version, nothing filled in")}
    for bug in _bugs(assignment):
        students[f"bug_{bug.id}"[:60]] = (release.studentize(_with_bug(solution, bug), keep_solutions=True),
                                          f"bug in {bug.cell}: {bug.diagnosis}")
    for student, (nb, _) in students.items():
        path = Path(folder) / student / assignment / f"{assignment}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, str(path))
    return {s: d for s, (_, d) in students.items()}


def demo(work: Path, all_assignments: bool = False, jobs: int | None = None,
         source_dir: Path = config.SOLUTIONS, release_dir: Path = config.ASSIGNMENTS) -> str:
    """Run the demo; return the printed gradebook table."""
    started = time.monotonic()
    available = config.list_assignments(source_dir)
    if not available:
        raise SystemExit("no assignments in solutions/ yet")
    release.release(available, source_dir, release_dir)
    print(f"released {len(available)} student versions into {release_dir}")
    chosen = available if all_assignments else [available[0]]
    demo_dir = Path(work) / "demo"
    submissions = demo_dir / "submissions"
    for a in chosen:
        for student, what in make_class(a, submissions, source_dir, release_dir).items():
            print(f"  {a} / {student}: {what[:90]}")
    autograde.autograde("all" if all_assignments else chosen[0], submissions, demo_dir, jobs=jobs,
                        source_dir=source_dir)
    text = export.table(demo_dir, chosen)
    print(text)
    csv_path = export.write_csv(demo_dir, demo_dir / "grades.csv", chosen)
    print(f"grades CSV: {csv_path}\nwork directory: {demo_dir}\ndemo took {time.monotonic() - started:.0f} s")
    return text
