"""Command line: ``python -m grader <command>`` (see ``--help`` of each command).

release   regenerate assignments/ from solutions/ (``--check``: fail when stale)
autograde grade a class (folder tree, zip, or Canvas download); prints the gradebook
feedback  one HTML page per student and assignment
export    grades CSV for an LMS
bundle    the student zip of one assignment (``--assignment NN``: notebooks 01..NN, course/
          with the answers of NN and later stubbed, README, pyproject)
validate  run one notebook with its visible tests and report per exercise
demo      release, grade a sample class, print the gradebook (``make demo``)
"""
from __future__ import annotations

import argparse
import logging
import sys
import warnings
from pathlib import Path

from . import config


def _limits(args) -> config.Limits:
    return config.Limits(cell_timeout=args.cell_timeout, notebook_timeout=args.notebook_timeout,
                         memory_mb=args.memory_mb)


def _add_limits(p) -> None:
    d = config.Limits()
    p.add_argument("--cell-timeout", type=float, default=d.cell_timeout, help="seconds per cell (default %(default)s)")
    p.add_argument("--notebook-timeout", type=float, default=d.notebook_timeout,
                   help="wall-clock seconds per notebook (default %(default)s)")
    p.add_argument("--memory-mb", type=int, default=d.memory_mb,
                   help="memory of a kernel's process tree in MB (default %(default)s)")


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m grader", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workdir", help="instructor work directory (default: $COURSE_GRADING_DIR, "
                                      "else the user data dir numpy-nn-course/grading)")
    ap.add_argument("--source-dir", default=str(config.SOLUTIONS), help=argparse.SUPPRESS)
    ap.add_argument("--release-dir", default=str(config.ASSIGNMENTS), help=argparse.SUPPRESS)
    sub = ap.add_subparsers(dest="command", required=True)

    p = sub.add_parser("release", help="regenerate the student versions in assignments/")
    p.add_argument("assignment", nargs="?", default="all")
    p.add_argument("--check", action="store_true", help="only report stale student versions (exit 1)")

    p = sub.add_parser("autograde", help="grade a class")
    p.add_argument("assignment", help="assignment id or 'all'")
    p.add_argument("submissions", help="folder <student>/<assignment>/<notebook>.ipynb, a zip of it, "
                                       "or a Canvas bulk download (zip or folder)")
    p.add_argument("--jobs", "-j", type=int, default=None, help="notebooks at a time (default: CPU count)")
    p.add_argument("--csv", help="where to write the grades CSV (default <workdir>/grades.csv)")
    p.add_argument("--no-progress", action="store_true")
    _add_limits(p)

    p = sub.add_parser("feedback", help="HTML feedback pages from the grade records")
    p.add_argument("assignment", nargs="?", default="all")
    p.add_argument("--output", help="folder (default <workdir>/feedback)")

    p = sub.add_parser("export", help="grades CSV")
    p.add_argument("assignment", nargs="?", default="all")
    p.add_argument("--output", help="CSV path (default <workdir>/grades.csv)")

    p = sub.add_parser("bundle", help="the student zip of one assignment")
    p.add_argument("--assignment", help="number or id, e.g. 03: notebooks 01..03, and course/ "
                                        "with the answers of 03 and later stubbed (required)")
    p.add_argument("--output", help="zip path (default numpy-nn-course-<NN>.zip)")

    p = sub.add_parser("validate", help="run a notebook with its visible tests only")
    p.add_argument("notebook")
    _add_limits(p)

    p = sub.add_parser("demo", help="release, grade a sample class, print the gradebook")
    p.add_argument("--all", action="store_true", help="every released assignment, not only the first")
    p.add_argument("--jobs", "-j", type=int, default=None)
    return ap


def _report(recs) -> int:
    """One line per submission that was not fully graded; returns how many were skipped."""
    skipped = 0
    for r in recs:
        if r["status"] != "graded":
            skipped += 1
            print(f"SKIPPED {r['student']} / {r['assignment']} ({r['origin']}): {r['problem']}")
        else:
            for c in r["cells"]:
                if c["status"] not in ("passed", "failed"):
                    print(f"LIMIT   {r['student']} / {r['assignment']} {c['grade_id']}: {c['status']} - {c['message']}")
    return skipped


BUNDLE_USAGE = """bundle needs --assignment NN. Answers are released on a schedule: the bundle of
assignment NN holds the student notebooks 01 to NN and a course/ in which the reference of every
exercise of notebook NN and later is a stub. Hand out a new bundle as each assignment opens, e.g.
    python -m grader bundle --assignment 01"""


def _bundle(args, release_dir: Path) -> int:
    """The ``bundle`` command."""
    from . import registry
    from .bundle import bundle, resolve
    if not args.assignment:
        print(BUNDLE_USAGE, file=sys.stderr)
        return 2
    try:
        assignment = resolve(args.assignment, release_dir)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    number = assignment.split("_", 1)[0]
    path = bundle(assignment, Path(args.output or f"numpy-nn-course-{number}.zip"), release_dir)
    notebooks = [a.split("_", 1)[0] for a in config.list_assignments(release_dir) if a <= assignment]
    stubs = registry.withheld_references(assignment)
    print(f"wrote {path}: notebooks {', '.join(notebooks)}; course/ with {len(stubs)} references "
          f"of notebook {number} and later as stubs")
    return 0


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    warnings.simplefilter("ignore")          # nbgrader/SQLAlchemy deprecation chatter
    logging.getLogger("traitlets").setLevel(logging.ERROR)
    src, rel = Path(args.source_dir), Path(args.release_dir)
    if args.command == "release":
        from . import release
        try:
            names = config.resolve_assignments(args.assignment, src)
        except ValueError as exc:
            print(exc, file=sys.stderr)
            return 2
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
    if args.command == "validate":
        from .validate import validate
        return validate(Path(args.notebook), _limits(args), src)
    if args.command == "bundle":
        return _bundle(args, rel)
    work = config.workdir(args.workdir)
    if args.command == "autograde":
        from . import autograde, export
        try:
            names = config.resolve_assignments(args.assignment, src)
        except ValueError as exc:
            print(exc, file=sys.stderr)
            return 2
        recs = autograde.autograde(args.assignment, Path(args.submissions), work, jobs=args.jobs,
                                   limits=_limits(args), source_dir=src, progress=not args.no_progress)
        skipped = _report(recs)
        if any(r["status"] == "graded" and not r.get("isolated", True) for r in recs):
            print("note: some kernels ran without the sandbox (no user/mount namespaces on this "
                  "system): they could read the instructor's files")
        print(export.table(work, names))
        path = export.write_csv(work, Path(args.csv) if args.csv else work / "grades.csv", names)
        print(f"{len(recs) - skipped} graded, {skipped} skipped; grades CSV: {path}; work directory: {work}")
        return 0
    if args.command == "feedback":
        from .feedback import write_feedback
        names = None if args.assignment == "all" else [args.assignment]
        pages = write_feedback(work, Path(args.output) if args.output else work / "feedback", names)
        print(f"wrote {len(pages)} feedback pages under {Path(args.output) if args.output else work / 'feedback'}")
        return 0
    if args.command == "export":
        from . import export
        names = None if args.assignment == "all" else [args.assignment]
        print(f"wrote {export.write_csv(work, Path(args.output) if args.output else work / 'grades.csv', names)}")
        return 0
    if args.command == "demo":
        from .demo import demo
        demo(work, args.all, args.jobs, src, rel)
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
