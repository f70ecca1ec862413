"""Command line: python -m grader <command> [options]; <command> --help lists its options.
--workdir may come before or after the command.

release    regenerate assignments/ from solutions/ (--check: fail when stale)
autograde  grade a class (folder tree, zip, or Canvas download); prints the gradebook
feedback   one HTML page per student and assignment
export     grades CSV: plain (default) or a Canvas gradebook import (--format canvas)
report     the class report: one HTML page and a short summary
bundle     the student zip of one assignment (--assignment NN: notebooks 01..NN, course/
           with the answers of NN and later stubbed, README, pyproject)
validate   run one notebook with its visible tests and report per exercise
demo       grade a sample class in its own work directory (`make demo`)
new-exercise  scaffold a graded exercise: notebook cells, check, bug slots, registry entry

Work directory: --workdir, else $COURSE_GRADING_DIR, else the user data directory
(~/.local/share/numpy-nn-course/grading on Linux); the demo's: --workdir, else <that>/demo.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
import warnings
from pathlib import Path

from . import config

SCHEDULER_VARIABLE = "DASK_SCHEDULER_ADDRESS"

ASSIGNMENT_HELP = "assignment id, or 'all' (default)"
WORKDIR_HELP = ("instructor work directory (default: $COURSE_GRADING_DIR, else the user data "
                "dir numpy-nn-course/grading; for demo: <that>/demo)")


class CommandError(Exception):
    """A problem with the command's input: printed as ``error: ...``, exit status ``status``."""

    def __init__(self, message: str, status: int = 2):
        super().__init__(message)
        self.status = status


# ---------------------------------------------------------------- assignments and work directory

def _work(args, create: bool = True) -> Path:
    """The work directory of a command; one that only reads it must find it."""
    work = config.workdir(args.workdir, create=create)
    if not work.is_dir():
        raise CommandError(f"work directory {work} does not exist (check --workdir, or run "
                           f"python -m grader autograde first)", 1)
    return work


def _with_records(work: Path) -> list[str]:
    """Assignments that have at least one grade record in ``work``."""
    base = work / "results"
    return sorted(d.name for d in base.iterdir() if d.is_dir() and any(d.glob("*.json"))) \
        if base.is_dir() else []


def _known(args, work: Path | None = None) -> list[str]:
    """Every valid assignment id: those in the source folder and those graded in ``work``."""
    known = set(config.list_assignments(Path(args.source_dir)))
    if work is not None:
        known |= set(_with_records(work))
    return sorted(known)


def _check_assignment(spec: str, known: list[str]) -> None:
    """``CommandError`` naming the valid assignments when ``spec`` is not one of them."""
    if spec != "all" and spec not in known:
        raise CommandError(f"unknown assignment {spec!r}; valid: {', '.join(known) or 'none'} "
                           f"(or 'all')")


def _no_records(work: Path, spec: str) -> CommandError:
    """The error for a work directory without records (pointing at the demo's, if any)."""
    what = "no grade records" + (f" for {spec}" if spec != "all" else "")
    message = (f"{what} in {work}; grade first: python -m grader --workdir {work} autograde "
               f"<assignment|all> <submissions>")
    demo = work / "demo"
    if _with_records(demo):
        message += (f"\nthe demo's grades are in {demo}: python -m grader --workdir {demo} "
                    f"<feedback|export|report>")
    return CommandError(message, 1)


def _graded(args, work: Path) -> list[str]:
    """The graded assignments a read-only command works on (``args.assignment``)."""
    _check_assignment(args.assignment, _known(args, work))
    graded = _with_records(work)
    chosen = graded if args.assignment == "all" else [a for a in graded if a == args.assignment]
    if not chosen:
        raise _no_records(work, args.assignment)
    return chosen


def _limits(args) -> config.Limits:
    return config.Limits(cell_timeout=args.cell_timeout, notebook_timeout=args.notebook_timeout,
                         memory_mb=args.memory_mb)


# ---------------------------------------------------------------- the commands

def cmd_release(args) -> int:
    """Regenerate the student versions (or, with --check, report the stale ones)."""
    from . import release

    src, rel = Path(args.source_dir), Path(args.release_dir)
    _check_assignment(args.assignment, _known(args))
    names = config.resolve_assignments(args.assignment, src)
    if args.check:
        stale = release.stale(names, src, rel)
        for a in stale:
            print(f"stale: {rel / a / (a + '.ipynb')} (run: python -m grader release {a})")
        if not stale:
            print(f"{len(names)} student versions up to date")
        return 1 if stale else 0
    for path in release.release(names, src, rel):
        print(f"wrote {path}")
    return 0


def _print_problems(recs) -> int:
    """One line per submission that was not fully graded; returns how many were skipped."""
    skipped = 0
    for r in recs:
        if r["status"] != "graded":
            skipped += 1
            print(f"SKIPPED {r['student']} / {r['assignment']} ({r['origin']}): {r['problem']}")
            continue
        for c in r["cells"]:
            if c["status"] not in ("passed", "failed"):
                print(f"LIMIT   {r['student']} / {r['assignment']} {c['grade_id']}: "
                      f"{c['status']} - {c['message']}")
    return skipped


def cmd_autograde(args) -> int:
    """Grade a class, print problems and the gradebook, write the grades CSV."""
    from . import autograde, export, students
    from .cluster import ClusterError

    src = Path(args.source_dir)
    _check_assignment(args.assignment, _known(args))
    names = config.resolve_assignments(args.assignment, src)
    try:
        roster = students.read_roster(Path(args.roster)) if args.roster else None
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    work = _work(args)
    try:
        recs = autograde.autograde(args.assignment, Path(args.submissions), work, jobs=args.jobs,
                                   limits=_limits(args), source_dir=src,
                                   progress=not args.no_progress, roster=roster,
                                   scheduler=args.scheduler or os.environ.get(SCHEDULER_VARIABLE))
    except ClusterError as exc:
        raise CommandError(str(exc), 1) from None
    skipped = _print_problems(recs)
    note = sandbox_note(recs)
    if note:
        print(note)
    print(export.table(work, names))
    path = export.write_csv(work, Path(args.csv) if args.csv else work / "grades.csv", names)
    print(f"{len(recs) - skipped} graded, {skipped} skipped; grades CSV: {path}; "
          f"work directory: {work}")
    return 0


def sandbox_note(recs) -> str | None:
    """A warning naming the graded submissions whose kernels ran without the sandbox, and why."""
    bare = [r.get("sandbox") or {} for r in recs if r["status"] == "graded"]
    bare = [s for s in bare if not s.get("sandbox")]
    if not bare:
        return None
    reasons = sorted({s.get("reason") or "graded before sandboxes were recorded" for s in bare})
    return (f"WARNING: {len(bare)} submission(s) ran WITHOUT a sandbox: their code could read and "
            "change anything this user can and reach the network. Why: " + " | ".join(reasons)
            + ". See README, 'Isolation'.")


def cmd_feedback(args) -> int:
    """One HTML feedback page per student and assignment."""
    from .feedback import write_feedback

    work = _work(args, create=False)
    names = _graded(args, work)
    out = Path(args.output) if args.output else work / "feedback"
    pages = write_feedback(work, out, names)
    print(f"wrote {len(pages)} feedback pages under {out}")
    return 0


def _canvas_columns(pairs: list[str]) -> dict[str, str]:
    """``["01_x=HW 1 (123)"]`` -> ``{"01_x": "HW 1 (123)"}``."""
    out = {}
    for pair in pairs or []:
        assignment, sep, column = pair.partition("=")
        if not sep or not assignment or not column:
            raise CommandError(f"--canvas-column {pair!r}: expected ASSIGNMENT=COLUMN, e.g. "
                               f"01_linear_regression='Homework 1 (12345)'")
        out[assignment] = column
    return out


def _export_canvas(args, work: Path, names: list[str]) -> int:
    """``export --format canvas``: write the import file and report every unmatched student."""
    from . import canvas

    if not args.roster:
        raise CommandError(f"--format canvas needs --roster <Canvas gradebook export CSV> "
                           f"({canvas.HOW_TO_GET})")
    try:
        roster = canvas.read_roster(Path(args.roster))
        out = Path(args.output) if args.output else work / "canvas_grades.csv"
        result = canvas.write(work, out, roster, names, _canvas_columns(args.canvas_column))
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    print(f"wrote {result.path} (import it in Canvas: Grades > Import)")
    for a, column in result.columns.items():
        new = a in result.new_columns
        print(f"  {a} -> column {column!r}" + (" (new: no roster column matched, Canvas creates "
              "the assignment; map it with --canvas-column)" if new else ""))
    _list("warning: graded but not in the Canvas roster, NOT exported", result.not_in_roster)
    _list("warning: maximum differs, Canvas stores the points as they are", result.other_maximum)
    _list("note: could not be graded, left empty", result.not_graded)
    _list("note: in the roster without a grade, left empty (Canvas keeps its value)",
          result.without_grade)
    return 1 if result.not_in_roster else 0


def _list(title: str, items: list[str], limit: int = 20) -> None:
    """Print a titled list of names (at most ``limit``), nothing when empty."""
    if items:
        more = f" ... and {len(items) - limit} more" if len(items) > limit else ""
        print(f"{title} ({len(items)}): {', '.join(items[:limit])}{more}")


def cmd_export(args) -> int:
    """The grades CSV: plain, or a Canvas gradebook import."""
    from . import export

    work = _work(args, create=False)
    names = _graded(args, work)
    if args.format == "canvas":
        return _export_canvas(args, work, names)
    if args.roster or args.canvas_column:
        raise CommandError("--roster and --canvas-column are for --format canvas")
    out = Path(args.output) if args.output else work / "grades.csv"
    print(f"wrote {export.write_csv(work, out, names)}")
    return 0


def cmd_report(args) -> int:
    """The class report (HTML) and its text summary."""
    from . import report

    work = _work(args, create=False)
    names = _graded(args, work)
    path, summary = report.write_report(work, names, Path(args.output) if args.output else None)
    print(summary)
    print(f"class report: {path}")
    return 0


BUNDLE_USAGE = """bundle needs --assignment NN. Answers are released on a schedule: the bundle of
assignment NN holds the student notebooks 01 to NN and a course/ in which the reference of every
exercise of notebook NN and later is a stub. Hand out a new bundle as each assignment opens, e.g.
    python -m grader bundle --assignment 01"""


def cmd_bundle(args) -> int:
    """The student zip of one assignment."""
    from . import registry
    from .bundle import bundle, resolve

    if not args.assignment:
        raise CommandError(BUNDLE_USAGE, 2)
    release_dir = Path(args.release_dir)
    try:
        assignment = resolve(args.assignment, release_dir)
    except ValueError as exc:
        raise CommandError(str(exc), 2) from None
    number = assignment.split("_", 1)[0]
    path = bundle(assignment, Path(args.output or f"numpy-nn-course-{number}.zip"), release_dir)
    notebooks = [a.split("_", 1)[0] for a in config.list_assignments(release_dir) if a <= assignment]
    stubs = registry.withheld_references(assignment)
    print(f"wrote {path}: notebooks {', '.join(notebooks)}; course/ with {len(stubs)} references "
          f"of notebook {number} and later as stubs")
    return 0


def cmd_validate(args) -> int:
    """Run one notebook with its visible tests."""
    from .validate import validate

    return validate(Path(args.notebook), _limits(args), Path(args.source_dir))


def cmd_demo(args) -> int:
    """Grade a sample class in the demo's work directory."""
    from .demo import demo

    work = config.workdir(args.workdir) if args.workdir else config.workdir() / "demo"
    try:
        demo(work, args.all, args.jobs, Path(args.source_dir))
    except ValueError as exc:
        raise CommandError(str(exc), 1) from None
    return 0


def cmd_new_exercise(args) -> int:
    """Scaffold a new exercise (CONTRIBUTING.md, "Adding an exercise")."""
    from .scaffold import new_exercise

    try:
        changed = new_exercise(args.notebook, args.name, args.reference, args.points)
    except ValueError as exc:
        raise CommandError(str(exc), 2) from None
    for path in changed:
        print(f"edited {path}")
    print(f"next: write {args.reference} in course/, the solution and visible tests in the "
          f"notebook, the check and its three bugs; then python -m grader release")
    return 0


COMMANDS = {"release": cmd_release, "autograde": cmd_autograde, "feedback": cmd_feedback,
            "export": cmd_export, "report": cmd_report, "bundle": cmd_bundle,
            "validate": cmd_validate, "demo": cmd_demo, "new-exercise": cmd_new_exercise}


# ---------------------------------------------------------------- arguments

def _add_globals(p, suppress: bool) -> None:
    """--workdir and the hidden --source-dir/--release-dir; on a subcommand their default is
    SUPPRESS, so a value given before the command is kept when none follows it."""
    def default(value):
        return argparse.SUPPRESS if suppress else value

    p.add_argument("--workdir", default=default(None), help=WORKDIR_HELP)
    p.add_argument("--source-dir", default=default(str(config.SOLUTIONS)), help=argparse.SUPPRESS)
    p.add_argument("--release-dir", default=default(str(config.ASSIGNMENTS)),
                   help=argparse.SUPPRESS)


def _add_limits(p) -> None:
    d = config.Limits()
    p.add_argument("--cell-timeout", type=float, default=d.cell_timeout,
                   help="CPU seconds per cell (default %(default)s; wall-clock backstop "
                        f"{d.wall_factor:g}x)")
    p.add_argument("--notebook-timeout", type=float, default=d.notebook_timeout,
                   help="CPU seconds per notebook (default %(default)s)")
    p.add_argument("--memory-mb", type=int, default=d.memory_mb,
                   help="memory of a kernel's process tree in MB (default %(default)s)")


def _add_commands(sub, common) -> None:
    """The subparsers: one per entry of COMMANDS, each also taking the global options."""
    def add(name, help_text):
        return sub.add_parser(name, help=help_text, description=help_text, parents=[common])

    p = add("release", "regenerate the student versions in assignments/")
    p.add_argument("assignment", nargs="?", default="all", help=ASSIGNMENT_HELP)
    p.add_argument("--check", action="store_true",
                   help="only report stale student versions (exit 1)")

    p = add("autograde", "grade a class")
    p.add_argument("assignment", help="assignment id or 'all'")
    p.add_argument("submissions", help="folder <student>/<assignment>/<notebook>.ipynb, a zip of "
                                       "it, or a Canvas bulk download (zip or folder)")
    p.add_argument("--jobs", "-j", type=int, default=None,
                   help="notebooks at a time: worker processes of the local Dask cluster "
                        "(default: one more than the CPUs, as memory allows)")
    p.add_argument("--scheduler", metavar="tcp://HOST:8786",
                   help=f"grade on the Dask cluster of this scheduler instead of a local one "
                        f"(default: ${SCHEDULER_VARIABLE}; README, 'Grading on a cluster')")
    p.add_argument("--csv", help="where to write the grades CSV (default <workdir>/grades.csv)")
    p.add_argument("--roster", help="CSV id,first_name,last_name[,email] or a Canvas gradebook "
                                    "export: students' names in nbgrader's gradebook")
    p.add_argument("--no-progress", action="store_true")
    _add_limits(p)

    p = add("feedback", "HTML feedback pages from the grade records")
    p.add_argument("assignment", nargs="?", default="all", help=ASSIGNMENT_HELP)
    p.add_argument("--output", help="folder (default <workdir>/feedback)")

    p = add("export", "grades CSV (plain, or a Canvas gradebook import)")
    p.add_argument("assignment", nargs="?", default="all", help=ASSIGNMENT_HELP)
    p.add_argument("--format", choices=["plain", "canvas"], default="plain",
                   help="plain: one row per student and assignment (default); canvas: Canvas's "
                        "gradebook import format, needs --roster")
    p.add_argument("--roster", help="the course's Canvas gradebook export (Grades > Export)")
    p.add_argument("--canvas-column", action="append", metavar="ASSIGNMENT=COLUMN",
                   help="the Canvas column of an assignment, when its name differs from the id")
    p.add_argument("--output", help="CSV path (default <workdir>/grades.csv, "
                                    "<workdir>/canvas_grades.csv for canvas)")

    p = add("report", "class report: score histogram, pass rates, common mistakes, flags, times")
    p.add_argument("assignment", nargs="?", default="all", help=ASSIGNMENT_HELP)
    p.add_argument("--output", help="folder (default <workdir>/report)")

    p = add("bundle", "the student zip of one assignment")
    p.add_argument("--assignment", help="number or id, e.g. 03: notebooks 01..03, and course/ "
                                        "with the answers of 03 and later stubbed (required)")
    p.add_argument("--output", help="zip path (default numpy-nn-course-<NN>.zip)")

    p = add("validate", "run a notebook with its visible tests only")
    p.add_argument("notebook")
    _add_limits(p)

    p = add("demo", "grade a sample class in its own work directory, print gradebook and report")
    p.add_argument("--all", action="store_true", help="every assignment, not only the first")
    p.add_argument("--jobs", "-j", type=int, default=None)

    p = add("new-exercise", "scaffold a graded exercise in a notebook")
    p.add_argument("notebook", help="notebook number, e.g. 01")
    p.add_argument("name", help="the function students write (also the exercise id)")
    p.add_argument("--reference", required=True,
                   help="its reference in course/, e.g. course.losses.huber_loss")
    p.add_argument("--points", type=int, default=3)
    assert set(sub.choices) == set(COMMANDS), "every command needs a parser and a handler"


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m grader", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_globals(ap, suppress=False)
    common = argparse.ArgumentParser(add_help=False)
    _add_globals(common, suppress=True)
    _add_commands(ap.add_subparsers(dest="command", required=True, metavar="<command>"), common)
    return ap


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    warnings.simplefilter("ignore")          # nbgrader/SQLAlchemy deprecation chatter
    logging.getLogger("traitlets").setLevel(logging.ERROR)
    try:
        return COMMANDS[args.command](args)
    except CommandError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.status


if __name__ == "__main__":
    sys.exit(main())
