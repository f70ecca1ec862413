"""Feedback pages, CSV export, validate, and submission discovery (the bundle: test_bundle.py)."""
import csv

import nbformat
import pytest

from grader import __main__ as cli
from grader import autograde, config, submissions, synthetic

FIX = synthetic.FIXTURE
LIMITS = config.Limits(cell_timeout=20, notebook_timeout=120, memory_mb=1024)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("tools")
    src = tmp / "solutions"
    synthetic.make_fixture_source(src)
    for student, kind in {"ann": "correct", "ben": "wrong"}.items():
        path = tmp / "subs" / student / FIX / f"{FIX}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(synthetic.fixture_submission(kind), str(path))
    (tmp / "subs" / "cy" / FIX).mkdir(parents=True)
    (tmp / "subs" / "cy" / FIX / f"{FIX}.ipynb").write_text("not json")
    autograde.autograde(FIX, tmp / "subs", tmp / "work", jobs=2, limits=LIMITS, source_dir=src, progress=False)
    return tmp, src


def test_feedback_pages_show_results_but_no_test_source(graded):
    tmp, src = graded
    assert cli.main(["--workdir", str(tmp / "work"), "feedback", FIX, "--output", str(tmp / "fb")]) == 0
    ben = (tmp / "fb" / FIX / "ben.html").read_text()
    assert "7 / 10" in ben and "scale(arange(3), 2) is wrong" in ben and "Checks scale() on a short vector." in ben
    for page in (tmp / "fb" / FIX).glob("*.html"):
        text = page.read_text()
        assert synthetic.HIDDEN_MARK not in text and "assert " not in text and "BEGIN HIDDEN" not in text
    assert "could not be graded" in (tmp / "fb" / FIX / "cy.html").read_text()
    assert "10 / 10" in (tmp / "fb" / FIX / "ann.html").read_text()


def test_export_csv_one_row_per_student_with_flags(graded):
    tmp, src = graded
    out = tmp / "grades.csv"
    assert cli.main(["--workdir", str(tmp / "work"), "export", "--output", str(out)]) == 0
    raw = out.read_bytes()
    raw.decode("utf-8")
    rows = list(csv.DictReader(raw.decode().splitlines()))
    assert list(rows[0]) == ["student", "assignment", "test_add", "test_scale", "test_mean_square", "total", "max", "flags"]
    by = {r["student"]: r for r in rows}
    assert (by["ann"]["total"], by["ben"]["total"], by["cy"]["total"]) == ("10", "7", "0")
    assert by["cy"]["flags"].startswith("not graded: invalid JSON") and by["ann"]["flags"] == ""
    assert all(r["max"] == "10" for r in rows)


def test_validate_reports_each_exercise(tmp_path, capsys):
    src = tmp_path / "solutions"
    synthetic.make_fixture_source(src)
    nb = synthetic.fixture_notebook()                      # with hidden tests: validate strips them
    nb.cells[5].source = nb.cells[5].source.replace("np.asarray(x) * k", "np.asarray(x) + k")
    path = tmp_path / f"{FIX}.ipynb"
    nbformat.write(nb, str(path))
    rc = cli.main(["--source-dir", str(src), "validate", str(path), "--cell-timeout", "20"])
    out = capsys.readouterr().out
    assert rc == 1
    assert "PASS  add" in out and "FAIL  scale: AssertionError: scale(arange(3), 2) is wrong" in out
    assert "PASS  mean_square" in out
    renamed = tmp_path / "homework.ipynb"
    renamed.write_text("{")
    assert cli.main(["--source-dir", str(src), "validate", str(renamed)]) == 2


def test_canvas_names_are_parsed(tmp_path):
    for name in [f"doejane_1001_501_{FIX}.ipynb", f"doejane_1001_777_{FIX}-2.ipynb",
                 f"roebob_LATE_1002_502_{FIX}.ipynb", "roebob_LATE_1002_503_notes.txt",
                 f"smith_1003_9_{FIX}_final.ipynb", "readme.md"]:
        (tmp_path / name).write_text("{}")
    found = submissions.discover(tmp_path, [FIX], [FIX])
    ok = {s.student: s for s in found if s.problem is None}
    bad = {s.origin: s.problem for s in found if s.problem}
    assert ok["1001"].path.name == f"doejane_1001_777_{FIX}-2.ipynb"
    assert any("graded the latest" in f for f in ok["1001"].flags)
    assert ok["1002"].flags == ["late"]
    assert "not a notebook" in bad["roebob_LATE_1002_503_notes.txt"]
    assert "renamed notebook" in bad[f"smith_1003_9_{FIX}_final.ipynb"]
    assert "odd file name" in bad["readme.md"]


def test_demo_grades_a_sample_class(tmp_path, capsys):
    from grader.demo import demo
    src, rel = tmp_path / "solutions", tmp_path / "assignments"
    synthetic.make_fixture_source(src)
    text = demo(tmp_path / "work", all_assignments=True, jobs=2, source_dir=src, release_dir=rel)
    assert (rel / FIX / f"{FIX}.ipynb").is_file()
    lines = {line.split()[0]: line for line in text.splitlines() if line.strip()}
    assert "10/10" in lines["reference"] and "0/10" in lines["untouched"]
    assert (tmp_path / "work" / "demo" / "grades.csv").is_file()
