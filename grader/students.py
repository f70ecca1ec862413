"""Who the students are and when they submitted, written into nbgrader's gradebook.

Formgrader lists students by name and nbgrader computes lateness from the submission time, so
after every ``autograde`` run the gradebook gets

* names: from a roster (``autograde ... --roster roster.csv``), else, for a Canvas download, the
  ``<studentname>`` part of the file name (a student's existing name is never overwritten by
  one from a file name);
* the submission time of every graded submission (see ``submissions.submission_time``), also
  written to ``submitted/<student>/<assignment>/timestamp.txt`` where ``nbgrader autograde``
  looks for it.

A roster is a UTF-8 CSV with the header ``id,first_name,last_name`` (``email`` optional), or a
Canvas gradebook export (``Student`` as "Last, First", ``ID`` the Canvas user id, which is the
student id of Canvas downloads). Every student of the roster is added to the gradebook, so the
class report can list those who have no grade yet.
"""
from __future__ import annotations

import csv
from dataclasses import asdict, dataclass
from pathlib import Path

from . import config, records, submissions

PLAIN_COLUMNS = ("id", "first_name", "last_name")
CANVAS_COLUMNS = ("Student", "ID")


@dataclass(frozen=True)
class Person:
    """A student's name and e-mail as nbgrader's gradebook stores them."""

    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None


def _canvas_person(row: dict) -> Person:
    """A Canvas gradebook row's "Last, First" name as a Person."""
    last, _, first = (row.get("Student") or "").partition(",")
    return Person(first_name=first.strip() or None, last_name=last.strip() or None)


def read_roster(path: Path) -> dict[str, Person]:
    """Student id -> Person from a roster CSV (plain or Canvas gradebook export, see the module
    docstring). Raises ``ValueError`` naming the problem and the expected format."""
    path = Path(path)
    expected = ("expected a header row id,first_name,last_name[,email] or a Canvas gradebook "
                "export (Grades > Export)")
    try:
        rows = list(csv.DictReader(path.read_text(encoding="utf-8-sig").splitlines()))
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"roster {path}: cannot read it ({exc}); {expected}") from None
    header = set(rows[0]) if rows else set()
    canvas = all(c in header for c in CANVAS_COLUMNS)
    missing = [c for c in PLAIN_COLUMNS if c not in header]
    if not canvas and missing:
        raise ValueError(f"roster {path}: missing column(s) {', '.join(missing)}; {expected}")
    roster: dict[str, Person] = {}
    for line, row in enumerate(rows, start=2):
        sid = (row.get("ID") if canvas else row.get("id")) or ""
        sid = sid.strip()
        if not sid:
            if canvas:
                continue   # Canvas's "Points Possible" and other non-student rows
            raise ValueError(f"roster {path}, line {line}: empty id; every row needs a student id")
        if sid in roster:
            raise ValueError(f"roster {path}, line {line}: student id {sid!r} appears twice")
        if canvas:
            roster[sid] = _canvas_person(row)
        else:
            roster[sid] = Person(first_name=row["first_name"].strip() or None,
                                 last_name=row["last_name"].strip() or None,
                                 email=(row.get("email") or "").strip() or None)
    if not roster:
        raise ValueError(f"roster {path}: no students in it; {expected}")
    return roster


def _timestamp_text(stamp) -> str:
    """A naive UTC datetime in the format nbgrader writes to ``timestamp.txt``."""
    return stamp.strftime("%Y-%m-%d %H:%M:%S.%f") + " UTC"


def update_gradebook(work: Path, subs: list, roster: dict[str, Person] | None = None) -> None:
    """Names of the roster's students and of the submitters, and the submission times of the
    graded submissions (``subs``: ``submissions.Submission`` objects), into the gradebook."""
    from nbgrader.api import Gradebook

    roster = roster or {}
    with Gradebook(config.db_url(work), config.COURSE_ID) as gb:
        for sid, person in roster.items():
            gb.update_or_create_student(sid, **asdict(person))
        for sub in subs:
            if sub.student in roster or not submissions.STUDENT_ID.match(sub.student):
                continue
            student = gb.update_or_create_student(sub.student)
            if sub.name and student.first_name is None and student.last_name is None:
                gb.update_or_create_student(sub.student, first_name="", last_name=sub.name)
        for sub in subs:
            if sub.problem is None and sub.path is not None and sub.timestamp is not None:
                gb.update_or_create_submission(sub.assignment, sub.student, timestamp=sub.timestamp)
                folder = Path(work) / "submitted" / sub.student / sub.assignment
                records.atomic_write(folder / "timestamp.txt", _timestamp_text(sub.timestamp))
