"""The class report: one self-contained HTML page per run of ``python -m grader report``, and a
short text summary.

For each assignment: the distribution of total scores (histogram), the pass rate of every
exercise (bar chart; passed = full points), the most common diagnosed mistakes per exercise
("Likely mistake: ..." in the grade records' messages) with their counts, the flagged
submissions, the submissions that could not be graded, the students without a grade yet (in the
gradebook or in ``submitted/`` but without a record), the slowest notebooks and every limit that
stopped a cell. Points come from nbgrader's gradebook, so manual overrides in formgrader count;
everything else comes from the grade records. Figures are PNGs drawn with matplotlib's Agg
backend and embedded in the page, so the page is one file that opens anywhere.
"""
from __future__ import annotations

import base64
import html
import io
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from . import config, export, records

MISTAKE = "Likely mistake: "
SLOWEST = 5
STYLE = """body{font-family:system-ui,sans-serif;max-width:60em;margin:2em auto;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}th,td{border:1px solid #ccc;padding:.3em .6em;
text-align:left;vertical-align:top}th{background:#f3f3f3}td.num{text-align:right}
.note{color:#555}h2{border-bottom:2px solid #ddd;margin-top:2em}"""


@dataclass
class Exercise:
    """Pass counts and diagnosed mistakes of one graded exercise."""

    grade_id: str
    max_points: float
    passed: int = 0
    graded: int = 0
    mistakes: Counter = field(default_factory=Counter)

    @property
    def rate(self) -> float:
        return self.passed / self.graded if self.graded else 0.0


@dataclass
class Summary:
    """Everything the report shows about one assignment."""

    assignment: str
    max_score: float = 0.0
    totals: dict[str, float] = field(default_factory=dict)
    exercises: list[Exercise] = field(default_factory=list)
    flagged: list[tuple[str, str]] = field(default_factory=list)
    not_graded: list[tuple[str, str]] = field(default_factory=list)
    no_record: list[str] = field(default_factory=list)
    slowest: list[tuple[str, float]] = field(default_factory=list)
    limits: list[tuple[str, str, str]] = field(default_factory=list)


def mistakes(message: str) -> list[str]:
    """The diagnoses in a cell's failure message ("...; Likely mistake: A; Likely mistake: B")."""
    if MISTAKE not in message:
        return []
    rest = message[message.index(MISTAKE) + len(MISTAKE):]
    return [m.strip() for m in rest.split("; " + MISTAKE) if m.strip()]


def _known_students(work: Path, assignment: str) -> set[str]:
    """Students in the gradebook and students with a folder in ``submitted/`` for the assignment."""
    from nbgrader.api import Gradebook

    found = set()
    if (Path(work) / "gradebook.db").is_file():
        with Gradebook(config.db_url(work), config.COURSE_ID) as gb:
            found |= {s.id for s in gb.students}
    submitted = Path(work) / "submitted"
    if submitted.is_dir():
        found |= {p.name for p in submitted.iterdir() if (p / assignment).is_dir()}
    return found


def _exercises(graded: list[dict], rows: dict[str, dict], ids: list[str]) -> list[Exercise]:
    """Per-exercise pass counts (gradebook points) and mistake counts (record messages)."""
    maxes = {c["grade_id"]: c["max_points"] for r in graded for c in r["cells"]}
    out = [Exercise(g, maxes.get(g, 0.0)) for g in ids]
    for ex in out:
        for r in graded:
            ex.graded += 1
            ex.passed += rows[r["student"]]["points"].get(ex.grade_id, 0.0) >= ex.max_points - 1e-9
            cell = next((c for c in r["cells"] if c["grade_id"] == ex.grade_id), None)
            if cell is not None and cell["status"] != "passed":
                ex.mistakes.update(mistakes(cell["message"]))
    return out


def _limits(record: dict) -> list[tuple[str, str, str]]:
    """(student, where, what) for every cell a limit stopped, graded or not."""
    out = [(record["student"], c["grade_id"], c["status"]) for c in record["cells"]
           if c["status"] not in ("passed", "failed")]
    out += [(record["student"], "ungraded cell", f) for f in record.get("flags", [])
            if " in ungraded cell " in f]
    return out


def summarize(work: Path, assignment: str) -> Summary:
    """The report's numbers for one assignment."""
    ids, rows = export.grade_rows(work, [assignment])
    by_student = {r["student"]: r for r in rows}
    recs = records.all_results(work, [assignment])
    graded = [r for r in recs if r["status"] == "graded"]
    s = Summary(assignment)
    s.max_score = max((float(r["max"] or 0.0) for r in rows), default=0.0)
    s.totals = {r["student"]: by_student[r["student"]]["total"] for r in graded}
    s.exercises = _exercises(graded, by_student, ids)
    s.flagged = [(r["student"], "; ".join(r["flags"])) for r in graded if r.get("flags")]
    s.not_graded = [(r["student"], r["problem"] or "") for r in recs if r["status"] != "graded"]
    s.no_record = sorted(_known_students(work, assignment) - {r["student"] for r in recs})
    s.slowest = sorted(((r["student"], float(r.get("seconds", 0.0))) for r in graded),
                       key=lambda x: -x[1])[:SLOWEST]
    s.limits = [lim for r in graded for lim in _limits(r)]
    return s


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:.1f}"


def _label(grade_id: str) -> str:
    return grade_id.removeprefix("test_")


def text(s: Summary) -> str:
    """A few lines for the terminal."""
    totals = list(s.totals.values())
    head = (f"{s.assignment}: {len(totals)} graded, {len(s.not_graded)} could not be graded, "
            f"{len(s.no_record)} without a grade yet")
    lines = [head]
    if totals:
        lines.append(f"  scores (of {_fmt(s.max_score)}): mean {statistics.mean(totals):.1f}, "
                     f"median {_fmt(statistics.median(totals))}, min {_fmt(min(totals))}, "
                     f"max {_fmt(max(totals))}")
        lines.append("  passed: " + ", ".join(f"{_label(e.grade_id)} {e.passed}/{e.graded}"
                                              for e in s.exercises))
    for e in s.exercises:
        for diagnosis, count in e.mistakes.most_common(2):
            lines.append(f"  mistake in {_label(e.grade_id)} ({count}x): {diagnosis[:90]}")
    if s.flagged:
        lines.append(f"  flagged: {len(s.flagged)} ({', '.join(st for st, _ in s.flagged)})")
    if s.slowest:
        lines.append("  slowest: " + ", ".join(f"{st} {sec:.0f} s" for st, sec in s.slowest[:3]))
    lines.append(f"  limits hit: {len(s.limits)}" + (" (" + ", ".join(
        f"{st} {where}: {what}" for st, where, what in s.limits[:3]) + ")" if s.limits else ""))
    if s.no_record:
        lines.append(f"  without a grade yet: {', '.join(s.no_record[:10])}"
                     + (" ..." if len(s.no_record) > 10 else ""))
    return "\n".join(lines)


def _png(fig) -> str:
    """A matplotlib figure as an ``<img>`` tag with the PNG inline (base64)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    buf = io.BytesIO()
    FigureCanvasAgg(fig).print_png(buf)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f"<img alt='figure' src='data:image/png;base64,{data}'>"


def histogram(s: Summary) -> str:
    """The score histogram of one assignment as an ``<img>`` tag."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 2.8), dpi=90)
    ax = fig.add_subplot()
    top = s.max_score or 1.0
    if float(top).is_integer() and top <= 50:   # one bar per whole number of points
        bins = [k - 0.5 for k in range(int(top) + 2)]
    else:
        bins = [top * k / 20 for k in range(21)]
    ax.hist(list(s.totals.values()), bins=bins, color="#4878a8", edgecolor="white")
    ax.set_xlim(bins[0], bins[-1])
    ax.set_xlabel(f"total points (of {_fmt(top)})")
    ax.set_ylabel("submissions")
    ax.set_title(f"{s.assignment}: scores of {len(s.totals)} graded submissions")
    ax.yaxis.get_major_locator().set_params(integer=True)
    fig.tight_layout()
    return _png(fig)


def pass_chart(s: Summary) -> str:
    """Per-exercise pass rates of one assignment as a horizontal bar chart (``<img>`` tag)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 0.45 * len(s.exercises) + 1.2), dpi=90)
    ax = fig.add_subplot()
    labels = [_label(e.grade_id) for e in s.exercises][::-1]
    rates = [100 * e.rate for e in s.exercises][::-1]
    ax.barh(labels, rates, color="#5a9a5a")
    ax.set_xlim(0, 100)
    ax.set_xlabel("passed (full points), % of graded submissions")
    ax.set_title(f"{s.assignment}: pass rate per exercise")
    fig.tight_layout()
    return _png(fig)


def _table(heads: list[str], rows: list[list], empty: str) -> str:
    """An HTML table, or a note when there are no rows."""
    e = html.escape
    if not rows:
        return f"<p class='note'>{e(empty)}</p>"
    out = ["<table><tr>" + "".join(f"<th>{e(h)}</th>" for h in heads) + "</tr>"]
    for row in rows:
        cells = "".join(f"<td class='num'>{e(str(c))}</td>" if isinstance(c, (int, float))
                        else f"<td>{e(str(c))}</td>" for c in row)
        out.append(f"<tr>{cells}</tr>")
    return "\n".join(out) + "</table>"


def section(s: Summary) -> str:
    """The HTML section of one assignment."""
    e = html.escape
    parts = [f"<h2>{e(s.assignment)}</h2>", f"<p>{e(text(s).splitlines()[0])}.</p>"]
    if s.totals:
        totals = list(s.totals.values())
        stats = (f"<p>Mean {statistics.mean(totals):.1f}, median "
                 f"{_fmt(statistics.median(totals))} of {_fmt(s.max_score)} points.</p>")
        parts += ["<h3>Scores</h3>", histogram(s), stats, "<h3>Exercises</h3>", pass_chart(s)]
    rows = [[_label(x.grade_id), _fmt(x.max_points), f"{x.passed}/{x.graded}",
             f"{100 * x.rate:.0f}%",
             "; ".join(f"{m} ({n}x)" for m, n in x.mistakes.most_common(3))] for x in s.exercises]
    heads = ["exercise", "points", "passed", "pass rate", "most common diagnosed mistakes (count)"]
    parts.append(_table(heads, rows, "No graded submissions yet."))
    parts += ["<h3>Flagged submissions</h3>",
              _table(["student", "flags"], [list(f) for f in s.flagged], "None."),
              "<h3>Could not be graded</h3>",
              _table(["student", "reason"], [list(f) for f in s.not_graded], "None."),
              "<h3>Without a grade yet</h3>",
              _table(["student"], [[st] for st in s.no_record],
                     "None: every student in the gradebook and in submitted/ has a record."),
              "<h3>Slowest notebooks</h3>",
              _table(["student", "seconds"], [[st, round(sec, 1)] for st, sec in s.slowest],
                     "None."),
              "<h3>Limits hit</h3>",
              _table(["student", "cell", "limit"], [list(x) for x in s.limits], "None.")]
    return "\n".join(parts)


def render(summaries: list[Summary]) -> str:
    """The whole report page."""
    title = "Class report: " + ", ".join(s.assignment for s in summaries)
    head = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
            f"</title><style>{STYLE}</style></head><body><h1>{html.escape(title)}</h1>"
            "<p class='note'>Points from nbgrader's gradebook (manual grades count); passed = "
            "full points; mistakes are the bug catalog's diagnoses of failed exercises.</p>")
    return head + "\n".join(section(s) for s in summaries) + "\n</body></html>\n"


def write_report(work: Path, assignments: list[str],
                 out_dir: Path | None = None) -> tuple[Path, str]:
    """Write the report of ``assignments`` (``<assignment>.html`` for one, ``report.html`` for
    several) under ``out_dir`` (default ``<work>/report``); return its path and text summary."""
    summaries = [summarize(work, a) for a in assignments]
    name = f"{assignments[0]}.html" if len(assignments) == 1 else "report.html"
    path = Path(out_dir or Path(work) / "report") / name
    records.atomic_write(path, render(summaries))
    return path, "\n".join(text(s) for s in summaries)
