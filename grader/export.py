"""The class's grades: a printed gradebook table and a CSV an LMS can import.

Scores come from nbgrader's gradebook (so a manual override made in formgrader counts);
which submissions exist, and their flags, come from our grade records. CSV: plain UTF-8 with a
header row, one row per student and assignment: ``student, assignment, <one column per
exercise>, total, max, flags``. With several assignments an exercise column is named
``<assignment>:<grade_id>`` and is empty for the other assignments. Canvas's import format
(``export --format canvas``) is written by ``grader/canvas.py`` from the same rows.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry

from . import config, records


def _fmt(x) -> str:
    if x is None or x == "":
        return ""
    return str(int(x)) if float(x).is_integer() else f"{float(x):.2f}"


def grade_rows(work: Path, assignments: list[str] | None = None) -> tuple[list[str], list[dict]]:
    """``(exercise columns, rows)``; a row has student, assignment, points per column, total,
    max and flags."""
    recs = records.all_results(work, assignments)
    names = sorted({r["assignment"] for r in recs})
    columns: dict[str, list[str]] = {}
    rows = []
    db = Path(work) / "gradebook.db"
    gb = Gradebook(config.db_url(work), config.COURSE_ID) if db.is_file() else None
    try:
        for a in names:
            ids = []
            if gb is not None:
                try:
                    ids = [c.name for c in gb.find_notebook(a, a).grade_cells]
                    maxes = {c.name: c.max_score for c in gb.find_notebook(a, a).grade_cells}
                except MissingEntry:
                    ids, maxes = [], {}
            order = {c["grade_id"]: i for r in recs if r["assignment"] == a for i, c in enumerate(r["cells"])}
            ids = sorted(ids, key=lambda g: order.get(g, len(order)))
            columns[a] = ids
            for r in (r for r in recs if r["assignment"] == a):
                points = {c["grade_id"]: c["points"] for c in r["cells"]}
                if gb is not None and r["status"] == "graded":
                    try:
                        nb = gb.find_submission_notebook(a, a, r["student"])
                        points = {g.name: g.score for g in nb.grades}
                    except MissingEntry:
                        pass
                flags = list(r.get("flags", []))
                if r["status"] != "graded":
                    flags.insert(0, f"not graded: {r['problem']}")
                    points = {g: 0.0 for g in ids}
                rows.append({"student": r["student"], "assignment": a,
                             "points": {g: points.get(g, 0.0) for g in ids},
                             "total": sum(points.get(g, 0.0) or 0.0 for g in ids),
                             "max": sum(maxes.get(g, 0.0) for g in ids) if gb is not None else r["max_score"],
                             "flags": "; ".join(flags)})
    finally:
        if gb is not None:
            gb.close()
    multi = len(names) > 1
    cols = [f"{a}:{g}" if multi else g for a in names for g in columns[a]]
    for row in rows:
        row["cells"] = {(f"{row['assignment']}:{g}" if multi else g): v for g, v in row["points"].items()}
    return cols, rows


def write_csv(work: Path, path: Path, assignments: list[str] | None = None) -> Path:
    """Write the grades CSV; return its path."""
    cols, rows = grade_rows(work, assignments)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["student", "assignment"] + cols + ["total", "max", "flags"])
    for row in rows:
        w.writerow([row["student"], row["assignment"]] + [_fmt(row["cells"].get(c, "")) for c in cols]
                   + [_fmt(row["total"]), _fmt(row["max"]), row["flags"]])
    records.atomic_write(Path(path), buf.getvalue())
    return Path(path)


def _line(cells: list, widths: list[int]) -> str:
    """One row of the text table, each cell padded to its column's width."""
    return "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()


def table(work: Path, assignments: list[str] | None = None) -> str:
    """The gradebook as a text table, one block per assignment."""
    cols, rows = grade_rows(work, assignments)
    out = []
    for a in sorted({r["assignment"] for r in rows}):
        mine = [r for r in rows if r["assignment"] == a]
        ex = [c for c in cols if c.startswith(f"{a}:")] or [c for c in cols if ":" not in c]
        heads = ["student"] + [c.split(":")[-1].removeprefix("test_") for c in ex] + ["total", "flags"]
        body = [[r["student"]] + [_fmt(r["cells"].get(c, "")) for c in ex]
                + [f"{_fmt(r['total'])}/{_fmt(r['max'])}", r["flags"][:60]] for r in mine]
        widths = [max(len(str(x)) for x in col) for col in zip(heads, *body)]
        out += [f"== {a} ==", _line(heads, widths), _line(["-" * w for w in widths], widths)]
        out += [_line(b, widths) for b in body] + [""]
    return "\n".join(out) if out else "(no grades yet)"
