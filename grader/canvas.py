"""Grades as a CSV that Canvas's gradebook import accepts (``export --format canvas``).

The instructor downloads the course's gradebook from Canvas (Grades > Export > Export Entire
Gradebook) and passes it as ``--roster``; the grader writes the same kind of file back:

* Canvas's identity columns first: ``Student`` ("Last, First"), ``ID`` (the Canvas user id),
  ``SIS User ID``, ``SIS Login ID``, ``Section``, copied from the roster row of each student;
* then one column per assignment, named exactly as in the roster's header, ``<name> (<Canvas
  assignment id>)``; an assignment without a column there gets a new column named by its id
  (on import Canvas then creates a new assignment);
* the roster's ``Points Possible`` row (if it has one) stays the second row; a new column gets
  the assignment's maximum there.

The cell is the student's total points from nbgrader's gradebook (manual overrides count); it
is left empty (Canvas then keeps what it has) for roster students without a grade and for
submissions that could not be graded. Students are matched by Canvas user id (the student id of
Canvas downloads), else by SIS login. Unmatched students on either side are reported.

Format references: the Ohio State Teaching and Learning Resource Center, "Import CSV File for
Carmen Grades" (Carmen is Canvas), for the required columns and that a new column creates an
assignment; nemogb's "Detailed Canvas Export Info" for the identity columns and the
``<name> (<id>)`` assignment headers.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from . import export, records

IDENTITY = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
REQUIRED = ["Student", "ID"]
POINTS_POSSIBLE = "Points Possible"
HOW_TO_GET = "download it from Canvas: Grades > Export > Export Entire Gradebook"


@dataclass
class Roster:
    """A Canvas gradebook export: its header, student rows and Points Possible row."""

    header: list[str]
    students: list[dict]
    points: dict | None = None


@dataclass
class Result:
    """What ``write`` did: the file, the columns used, and the students it could not place."""

    path: Path
    columns: dict[str, str] = field(default_factory=dict)
    new_columns: list[str] = field(default_factory=list)
    not_in_roster: list[str] = field(default_factory=list)
    without_grade: list[str] = field(default_factory=list)
    not_graded: list[str] = field(default_factory=list)
    other_maximum: list[str] = field(default_factory=list)


def read_roster(path: Path) -> Roster:
    """Read a Canvas gradebook export; ``ValueError`` names what is wrong with it."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"Canvas roster {path}: cannot read it ({exc}); {HOW_TO_GET}") from None
    reader = csv.DictReader(io.StringIO(text))
    header = list(reader.fieldnames or [])
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ValueError(f"Canvas roster {path}: no column {', '.join(missing)}, so it is not a "
                         f"Canvas gradebook export; {HOW_TO_GET}")
    roster = Roster(header=header, students=[])
    for row in reader:
        if (row.get("ID") or "").strip():
            roster.students.append(row)
        elif (row.get("Student") or "").strip() == POINTS_POSSIBLE:
            roster.points = row
    if not roster.students:
        raise ValueError(f"Canvas roster {path}: no student rows; {HOW_TO_GET}")
    return roster


def _key(name: str) -> str:
    """A name reduced to lower-case letters and digits, for comparing names."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _canvas_name(column: str) -> str:
    """``"01 Linear Regression (1234)"`` -> ``"01 Linear Regression"``."""
    return re.sub(r"\s*\(\d+\)\s*$", "", column)


def find_column(assignment: str, header: list[str], explicit: dict[str, str]) -> str | None:
    """The roster column of an assignment: the one given in ``explicit``, else the one whose
    Canvas name equals the assignment id up to case, spaces and punctuation; None if none.
    ``ValueError`` if the given column is missing or several columns match."""
    if assignment in explicit:
        column = explicit[assignment]
        if column not in header:
            raise ValueError(f"--canvas-column {assignment}={column!r}: the roster has no such "
                             f"column (copy it from the roster's header row)")
        return column
    matches = [c for c in header if c not in IDENTITY and _key(_canvas_name(c)) == _key(assignment)]
    if len(matches) > 1:
        raise ValueError(f"{assignment}: several roster columns match ({', '.join(matches)}); "
                         f"choose one with --canvas-column {assignment}='<column>'")
    return matches[0] if matches else None


def _index(roster: Roster) -> tuple[dict, dict]:
    """Roster rows by Canvas user id and by SIS login."""
    by_id = {row["ID"].strip(): row for row in roster.students}
    by_login = {row.get("SIS Login ID", "").strip(): row for row in roster.students
                if row.get("SIS Login ID", "").strip()}
    return by_id, by_login


def _fmt(x) -> str:
    return str(int(x)) if float(x).is_integer() else f"{float(x):.2f}"


def _scores(work: Path, roster: Roster, assignments: list[str], result: Result):
    """``(scores, ungraded, maxes)``: total points by (Canvas id, assignment), the (Canvas id,
    assignment) pairs that could not be graded, and each assignment's maximum. Records of
    students missing from the roster are listed in ``result.not_in_roster``."""
    by_id, by_login = _index(roster)
    scores, ungraded, maxes = {}, set(), {}
    for a in assignments:
        for row in export.grade_rows(work, [a])[1]:
            maxes[a] = max(maxes.get(a, 0.0), float(row["max"] or 0.0))
            match = by_id.get(row["student"]) or by_login.get(row["student"])
            if match is None:
                result.not_in_roster.append(f"{row['student']} ({a})")
                continue
            key = (match["ID"].strip(), a)
            if row["flags"].startswith("not graded"):
                ungraded.add(key)
                result.not_graded.append(f"{match['Student']} ({a}): {row['flags']}")
            else:
                scores[key] = _fmt(row["total"])
    return scores, ungraded, maxes


def _other_maximum(roster: Roster, result: Result, maxes: dict[str, float]) -> list[str]:
    """Assignments whose Canvas "Points Possible" differs from the grader's maximum."""
    out = []
    for a, column in result.columns.items():
        canvas_points = (roster.points or {}).get(column) or ""
        try:
            differs = abs(float(canvas_points) - maxes.get(a, 0.0)) > 1e-9
        except ValueError:
            continue   # no Points Possible row, or a new column
        if differs:
            out.append(f"{a}: {_fmt(maxes.get(a, 0.0))} points here, {canvas_points} in Canvas")
    return out


def write(work: Path, path: Path, roster: Roster, assignments: list[str],
          explicit: dict[str, str] | None = None) -> Result:
    """Write the Canvas import CSV for ``assignments`` to ``path``; return what happened."""
    result = Result(path=Path(path))
    for a in assignments:
        result.columns[a] = find_column(a, roster.header, explicit or {}) or a
        if result.columns[a] not in roster.header:
            result.new_columns.append(a)
    scores, ungraded, maxes = _scores(work, roster, assignments, result)
    result.other_maximum = _other_maximum(roster, result, maxes)
    lines = [IDENTITY + [result.columns[a] for a in assignments]]
    if roster.points is not None:
        lines.append([roster.points.get(c) or "" for c in IDENTITY]
                     + [_fmt(maxes.get(a, 0.0)) if a in result.new_columns
                        else roster.points.get(result.columns[a]) or "" for a in assignments])
    for row in roster.students:
        sid = row["ID"].strip()
        lines.append([row.get(c) or "" for c in IDENTITY]
                     + [scores.get((sid, a), "") for a in assignments])
        result.without_grade += [f"{row['Student']} ({a})" for a in assignments
                                 if (sid, a) not in scores and (sid, a) not in ungraded]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(lines)
    records.atomic_write(result.path, buf.getvalue())
    return result
