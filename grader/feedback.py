"""Feedback pages: one HTML file per student and assignment, rendered from our grade records.

A page lists every exercise with its points, the test's one-line description, whether it
passed, and the failure message (the exception's message, or why the grader stopped the cell).
It never contains test source: records hold no code, and messages come from exception values,
not tracebacks (an IPython traceback quotes the grade cell, hidden tests included).
"""
from __future__ import annotations

import html
from pathlib import Path

from . import records

STYLE = """body{font-family:system-ui,sans-serif;max-width:52em;margin:2em auto;color:#222}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #ccc;padding:.4em .6em;text-align:left;vertical-align:top}
th{background:#f3f3f3}.passed{color:#176c2e}.failed,.stopped{color:#a31515}.note,.todo{color:#555}"""
#: how grader.trusted begins the message of a check whose function is still the stub
NOT_ATTEMPTED = "not attempted yet"


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:.2f}"


def render(record: dict) -> str:
    """The HTML page of one grade record."""
    e = html.escape
    title = f"{record['assignment']} - feedback for {record['student']}"
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{e(title)}</title>",
             f"<style>{STYLE}</style></head><body><h1>{e(record['assignment'])}</h1>",
             f"<p>Student: <b>{e(record['student'])}</b></p>"]
    if record["status"] != "graded":
        parts.append(f"<p class='failed'>Your submission could not be graded: {e(record['problem'] or '')}</p>"
                     "<p class='note'>Fix the problem and submit again; nothing in it was run.</p>")
    else:
        parts.append(f"<p>Score: <b>{_fmt(record['score'])} / {_fmt(record['max_score'])}</b></p>")
        parts.append("<table><tr><th>exercise</th><th>what the test checks</th><th>points</th>"
                     "<th>result</th></tr>")
        for c in record["cells"]:
            kind = "passed" if c["status"] == "passed" else ("failed" if c["status"] == "failed" else "stopped")
            result = "passed" if kind == "passed" else f"{c['status']}: {c['message']}"
            if kind == "failed" and str(c["message"]).startswith(NOT_ATTEMPTED):
                kind, result = "todo", f"not attempted yet{str(c['message'])[len(NOT_ATTEMPTED):]}"
            parts.append(f"<tr><td>{e(c['grade_id'].removeprefix('test_'))}</td><td>{e(c['name'])}</td>"
                         f"<td>{_fmt(c['points'])} / {_fmt(c['max_points'])}</td>"
                         f"<td class='{kind}'>{e(result)}</td></tr>")
        parts.append("</table>")
        stopped = [c for c in record["cells"] if c["status"] not in ("passed", "failed")]
        if stopped:
            parts.append("<p class='note'>A cell that runs too long, uses too much memory or ends the "
                         "kernel scores zero; the other exercises were graded as usual.</p>")
    flags = [f for f in record.get("flags", []) if not f.startswith("review:")]
    if flags:
        parts.append(f"<p class='note'>Notes: {e('; '.join(flags))}</p>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def write_feedback(work: Path, out_dir: Path, assignments: list[str] | None = None) -> list[Path]:
    """Write ``out_dir/<assignment>/<student>.html`` for every record; return the paths."""
    pages = []
    for record in records.all_results(work, assignments):
        path = Path(out_dir) / record["assignment"] / f"{record['student']}.html"
        records.atomic_write(path, render(record))
        pages.append(path)
    return pages
