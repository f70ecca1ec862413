"""The class report: its numbers are the gradebook's and the records'."""
import subprocess
import sys

import nbformat
import pytest
from nbgrader.api import Gradebook

from grader import __main__ as cli
from grader import autograde, config, records, report, students, synthetic

FIX = synthetic.FIXTURE
LIMITS = config.Limits(cell_timeout=8, notebook_timeout=120, memory_mb=1024)
KINDS = {"ann": "correct", "ben": "wrong", "dan": "exception", "eve": "untouched", "sam": "sleep"}


def gradebook_numbers(work, assignment):
    """Totals and per-exercise pass counts straight from nbgrader's gradebook."""
    totals, passed = {}, {}
    with Gradebook(config.db_url(work), config.COURSE_ID) as gb:
        for sub in gb.assignment_submissions(assignment):
            totals[sub.student.id] = sub.score
            for nb in sub.notebooks:
                for grade in nb.grades:
                    passed.setdefault(grade.name, 0)
                    passed[grade.name] += grade.score >= grade.max_score
    return totals, passed


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("report")
    src, subs, work = tmp / "solutions", tmp / "subs", tmp / "work"
    synthetic.make_fixture_source(src)
    for student, kind in KINDS.items():
        path = subs / student / FIX / f"{FIX}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(synthetic.fixture_submission(kind), str(path))
    (subs / "cy" / FIX).mkdir(parents=True)
    (subs / "cy" / FIX / f"{FIX}.ipynb").write_text("not json")
    roster = {s: students.Person(s.title(), "Test") for s in [*KINDS, "cy", "zoe"]}
    autograde.autograde(FIX, subs, work, jobs=2, limits=LIMITS, source_dir=src, progress=False,
                        roster=roster)
    # two diagnosed mistakes, as the worker writes them for a catalogued bug
    for student, found in {"ben": ["Divide by M", "Transpose W"], "dan": ["Divide by M"]}.items():
        rec = records.read_result(work, FIX, student)
        cell = next(c for c in rec["cells"] if c["grade_id"] == "test_scale")
        cell["message"] += "".join(f"; Likely mistake: {d}" for d in found)
        records.write_result(work, rec)
    return work


def test_report_numbers_are_the_gradebooks_and_the_records(graded):
    work = graded
    s = report.summarize(work, FIX)
    totals, passed = gradebook_numbers(work, FIX)
    assert s.totals == {st: totals[st] for st in KINDS}
    assert s.totals == {"ann": 10, "ben": 7, "dan": 7, "eve": 0, "sam": 7}
    assert {e.grade_id: e.passed for e in s.exercises} == {g: passed[g] for g in synthetic.POINTS}
    assert [(e.grade_id, e.passed, e.graded) for e in s.exercises] == [
        ("test_add", 4, 5), ("test_scale", 1, 5), ("test_mean_square", 4, 5)]
    scale = s.exercises[1]
    # the two injected diagnoses, and the catalog's own for ben's wrong scale (x + k)
    assert dict(scale.mistakes) == {"Divide by M": 2, "Transpose W": 1, "Scale multiplies.": 1}
    recs = {r["student"]: r for r in records.all_results(work, [FIX])}
    assert s.not_graded == [("cy", recs["cy"]["problem"])] and s.no_record == ["zoe"]
    assert s.limits == [("sam", "test_scale", "time limit")]
    assert ("sam", "time limit") in s.flagged
    slow = sorted(((st, r["seconds"]) for st, r in recs.items() if r["status"] == "graded"),
                  key=lambda x: -x[1])
    assert s.slowest == slow[:report.SLOWEST]


def test_report_page_is_self_contained_and_shows_the_numbers(graded, capsys):
    work = graded
    assert cli.main(["report", "--workdir", str(work)]) == 0
    out = capsys.readouterr().out
    page = work / "report" / f"{FIX}.html"
    assert f"class report: {page}" in out
    assert "00_fixture: 5 graded, 1 could not be graded, 1 without a grade yet" in out
    assert "passed: add 4/5, scale 1/5, mean_square 4/5" in out
    assert "mistake in scale (2x): Divide by M" in out
    assert "limits hit: 1 (sam test_scale: time limit)" in out
    html = page.read_text()
    assert html.count("src='data:image/png;base64,") == 2
    assert "http" not in html and "<link" not in html and "<script" not in html
    for text in ("<td>scale</td><td>3</td><td>1/5</td><td>20%</td>",
                 "Divide by M (2x); Scale multiplies. (1x); Transpose W (1x)",
                 "<td>zoe</td>", "<td>cy</td>",
                 "<td>sam</td><td>test_scale</td><td>time limit</td>"):
        assert text in html, text


def test_mistakes_are_read_from_the_message():
    assert report.mistakes("AssertionError: x is wrong") == []
    assert report.mistakes("wrong; Likely mistake: a; b; Likely mistake: c") == ["a; b", "c"]


@pytest.mark.slow
def test_demo_class_report_and_nbgrader_feedback(tmp_path, capsys):
    """The demo class of notebook 01: the report's numbers equal the gradebook's (each bug
    costs its own exercise only), and nbgrader's own feedback leaks no hidden test or path."""
    from grader.demo import _bugs, demo

    work = tmp_path / "work"
    demo(work, jobs=2)
    a = config.list_assignments()[0]
    out = capsys.readouterr().out
    assert f"class report: {work / 'report' / (a + '.html')}" in out
    s = report.summarize(work, a)
    totals, passed = gradebook_numbers(work, a)
    assert s.totals == totals and len(totals) == 4
    assert {e.grade_id: e.passed for e in s.exercises} == passed
    broken = {f"test_{bug.cell}" for bug in _bugs(a)}
    assert len(broken) == 2 and all(e.passed == (2 if e.grade_id in broken else 3)
                                    for e in s.exercises)
    assert s.not_graded == [] and s.no_record == [] and s.limits == []
    run = subprocess.run([sys.executable, "-m", "nbgrader", "generate_feedback", a, "--force"],
                         cwd=work, capture_output=True, text=True, check=False, timeout=600)
    assert run.returncode == 0, run.stderr
    pages = sorted((work / "nbgrader_feedback").glob(f"*/{a}/{a}.html"))
    assert len(pages) == 4
    for page in pages:
        html = page.read_text()
        for secret in ("BEGIN HIDDEN TESTS", "grader.exercises", "check_predict", str(config.REPO),
                       str(work), "/grader-run-"):
            assert secret not in html, (page.parent.parent.name, secret)
