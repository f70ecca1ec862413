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
    tmp, _ = graded
    assert cli.main(["--workdir", str(tmp / "work"), "feedback", FIX, "--output", str(tmp / "fb")]) == 0
    ben = (tmp / "fb" / FIX / "ben.html").read_text()
    assert "7 / 10" in ben and "scale on a hidden input" in ben and "Checks scale() on a short vector." in ben
    for page in (tmp / "fb" / FIX).glob("*.html"):
        text = page.read_text()
        assert synthetic.HIDDEN_MARK not in text and "assert " not in text and "BEGIN HIDDEN" not in text
    assert "could not be graded" in (tmp / "fb" / FIX / "cy.html").read_text()
    assert "10 / 10" in (tmp / "fb" / FIX / "ann.html").read_text()


def test_export_csv_one_row_per_student_with_flags(graded):
    tmp, _ = graded
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


def _tree_digest(folder):
    """Relative path -> bytes of every file under ``folder`` (to prove nothing changed)."""
    return {str(f.relative_to(folder)): f.read_bytes() for f in sorted(folder.rglob("*")) if f.is_file()}


def test_demo_writes_its_class_where_the_other_commands_find_it(tmp_path, capsys):
    src, work = tmp_path / "solutions", tmp_path / "work"
    synthetic.make_fixture_source(src)
    tracked = _tree_digest(config.ASSIGNMENTS)
    # options after the command, as a new instructor types them
    assert cli.main(["demo", "--all", "--jobs", "2", "--workdir", str(work), "--source-dir", str(src)]) == 0
    out = capsys.readouterr().out
    lines = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    assert "10/10" in lines["reference"] and "0/10" in lines["untouched"]
    assert f"class report: {work / 'report' / (FIX + '.html')}" in out
    # reference, untouched and one catalogued bug in add and one in scale
    assert "00_fixture: 4 graded" in out and "passed: add 2/4, scale 2/4, mean_square 3/4" in out
    assert (work / "release" / FIX / f"{FIX}.ipynb").is_file()       # released into the work dir
    assert _tree_digest(config.ASSIGNMENTS) == tracked                 # the repository is untouched
    assert not (work / "demo").exists()
    for command in (["feedback"], ["export"], ["report", FIX]):
        assert cli.main(["--workdir", str(work)] + command) == 0, command
    students = ["bug_add_subtracts", "bug_scale_adds", "reference", "untouched"]
    assert sorted(p.name for p in (work / "feedback" / FIX).iterdir()) == [
        f"{s}.html" for s in students]
    rows = list(csv.DictReader((work / "grades.csv").read_text().splitlines()))
    totals = {r["student"]: r["total"] for r in rows}
    assert totals["reference"] == "10" and totals["untouched"] == "0", totals
    assert sorted(totals) == students and all(totals[s] not in ("0", "10") for s in students[:2])


def test_demo_refuses_a_work_directory_with_a_real_class(graded, capsys):
    tmp, src = graded
    assert cli.main(["--workdir", str(tmp / "work"), "--source-dir", str(src), "demo"]) == 1
    assert "holds the grades of a real class" in capsys.readouterr().err
    assert not (tmp / "work" / "demo_class").exists()


def test_global_options_before_or_after_the_command():
    parse = cli.parser().parse_args
    assert parse(["demo", "--workdir", "X"]).workdir == "X"
    assert parse(["--workdir", "X", "feedback"]).workdir == "X"
    assert parse(["--workdir", "X", "report", "--workdir", "Y"]).workdir == "Y"
    assert parse(["export", "--source-dir", "S"]).source_dir == "S"
    assert parse(["export"]).source_dir == str(config.SOLUTIONS) and parse(["export"]).workdir is None
    assert set(cli.COMMANDS) == {"release", "autograde", "feedback", "export", "report", "bundle",
                                 "new-exercise",
                                 "validate", "demo"}


@pytest.mark.parametrize("command", [["feedback", "00_fixtur"], ["export", "00_fixtur"],
                                     ["report", "00_fixtur"], ["release", "00_fixtur", "--check"],
                                     ["autograde", "00_fixtur", "subs"]])
def test_an_unknown_assignment_is_an_error_that_lists_the_valid_ones(graded, command, capsys):
    tmp, src = graded
    before = _tree_digest(tmp / "work")
    assert cli.main(["--workdir", str(tmp / "work"), "--source-dir", str(src)] + command) == 2
    err = capsys.readouterr().err
    assert "unknown assignment '00_fixtur'; valid: 00_fixture (or 'all')" in err
    assert _tree_digest(tmp / "work") == before


def test_a_work_directory_without_records_says_so_and_where_the_demos_are(tmp_path, capsys):
    assert cli.main(["--workdir", str(tmp_path), "feedback"]) == 1
    err = capsys.readouterr().err
    assert f"no grade records in {tmp_path}" in err and "autograde" in err and "demo" not in err
    (tmp_path / "demo" / "results" / FIX).mkdir(parents=True)
    (tmp_path / "demo" / "results" / FIX / "ann.json").write_text("{}")
    for command in ("feedback", "export", "report"):
        assert cli.main(["--workdir", str(tmp_path), command]) == 1
        assert f"the demo's grades are in {tmp_path / 'demo'}" in capsys.readouterr().err
    assert cli.main(["--workdir", str(tmp_path / "missing"), "export"]) == 1
    assert "does not exist" in capsys.readouterr().err and not (tmp_path / "missing").exists()


CANVAS_HEADER = ("Student,ID,SIS User ID,SIS Login ID,Section,Homework 0 (77),00 Fixture (4242),"
                 "Current Score,Final Score\n")
CANVAS_POINTS = "    Points Possible,,,,,5,10,(read only),(read only)\n"


def _canvas_roster(path, rows, header=CANVAS_HEADER):
    path.write_text("\ufeff" + header + CANVAS_POINTS + "".join(rows), encoding="utf-8")
    return path


def _canvas_export(tmp, roster, *extra):
    out = tmp / "canvas.csv"
    rc = cli.main(["--workdir", str(tmp / "work"), "export", FIX, "--format", "canvas",
                   "--roster", str(roster), "--output", str(out), *extra])
    return rc, list(csv.reader(out.read_text(encoding="utf-8").splitlines())) if out.is_file() else None


def test_canvas_export_fills_the_canvas_column_and_reports_unmatched_students(graded, tmp_path, capsys):
    tmp, _ = graded
    roster = _canvas_roster(tmp_path / "roster.csv", [
        '"Lee, Ann",101,S101,ann,Sec A,4,,80,80\n',          # matched by SIS login
        '"Diaz, Carla",103,S103,cy,Sec B,,,0,0\n',           # her submission could not be graded
        '"Roe, Dee",104,S104,dee,Sec B,,,0,0\n'])            # no submission at all; ben is missing
    rc, rows = _canvas_export(tmp, roster)
    out = capsys.readouterr().out
    assert rc == 1                                           # a graded student has no Canvas row
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "00 Fixture (4242)"]
    assert rows[1] == ["    Points Possible", "", "", "", "", "10"]
    assert rows[2:] == [["Lee, Ann", "101", "S101", "ann", "Sec A", "10"],
                        ["Diaz, Carla", "103", "S103", "cy", "Sec B", ""],
                        ["Roe, Dee", "104", "S104", "dee", "Sec B", ""]]
    assert f"{FIX} -> column '00 Fixture (4242)'" in out
    assert "graded but not in the Canvas roster, NOT exported (1): ben (00_fixture)" in out
    assert "could not be graded, left empty (1): Diaz, Carla (00_fixture): not graded: invalid JSON" in out
    assert "without a grade, left empty (Canvas keeps its value) (1): Roe, Dee (00_fixture)" in out


def test_canvas_export_matches_the_canvas_id_first_and_can_add_a_column(graded, tmp_path, capsys):
    tmp, _ = graded
    header = "Student,ID,SIS User ID,SIS Login ID,Section,Quiz (9)\n"
    roster = _canvas_roster(tmp_path / "roster.csv", [
        '"Lee, Ann",ann,,someone_else,A,3\n', '"Okafor, Ben",202,,ben,A,\n',
        '"Diaz, Carla",cy,,,B,\n'], header=header)
    rc, rows = _canvas_export(tmp, roster)
    assert rc == 0
    assert rows[0][-1] == FIX and rows[1][-1] == "10"       # a new assignment, out of 10 points
    assert [(r[1], r[-1]) for r in rows[2:]] == [("ann", "10"), ("202", "7"), ("cy", "")]
    assert "(new: no roster column matched" in capsys.readouterr().out
    rc, rows = _canvas_export(tmp, roster, "--canvas-column", f"{FIX}=Quiz (9)")
    assert rc == 0 and rows[0][-1] == "Quiz (9)" and rows[1][-1] == "5" and rows[2][-1] == "10"
    assert "maximum differs, Canvas stores the points as they are (1): 00_fixture: 10 points here, 5 in Canvas" \
        in capsys.readouterr().out


def test_canvas_export_input_errors_say_how_to_fix_them(graded, tmp_path, capsys):
    tmp, _ = graded
    work = ["--workdir", str(tmp / "work"), "export", "--format", "canvas"]
    assert cli.main(work) == 2
    assert "--format canvas needs --roster" in capsys.readouterr().err
    plain = tmp_path / "plain.csv"
    plain.write_text("id,first_name,last_name\nann,Ann,Lee\n")
    assert cli.main(work + ["--roster", str(plain)]) == 2
    assert "no column Student, ID, so it is not a Canvas gradebook export" in capsys.readouterr().err
    roster = _canvas_roster(tmp_path / "r.csv", ['"Lee, Ann",101,,ann,A,,,,\n'])
    assert cli.main(work + ["--roster", str(roster), "--canvas-column", f"{FIX}=Nope (1)"]) == 2
    assert "the roster has no such column" in capsys.readouterr().err
    assert cli.main(work + ["--roster", str(roster), "--canvas-column", FIX]) == 2
    assert "expected ASSIGNMENT=COLUMN" in capsys.readouterr().err
    assert cli.main(["--workdir", str(tmp / "work"), "export", "--roster", str(roster)]) == 2
    assert "are for --format canvas" in capsys.readouterr().err


def test_untouched_exercise_reads_not_attempted_yet(tmp_path, capsys):
    """validate and the feedback page say "not attempted yet" for a stub, not NotImplementedError."""
    from grader import feedback

    src = tmp_path / "solutions"
    synthetic.make_fixture_source(src)
    nb = synthetic.fixture_notebook()
    nb.cells[5].source = ('def scale(x, k):\n    """Return k * x."""\n'
                          '    raise NotImplementedError()')
    path = tmp_path / f"{FIX}.ipynb"
    nbformat.write(nb, str(path))
    assert cli.main(["--source-dir", str(src), "validate", str(path), "--cell-timeout", "20"]) == 1
    out = capsys.readouterr().out
    assert "TODO  scale (3 points): not attempted yet" in out and "PASS  add" in out
    record = {"assignment": FIX, "student": "dee", "status": "graded", "score": 6, "max_score": 10,
              "cells": [{"grade_id": "test_scale", "name": "Checks scale().", "points": 0,
                         "max_points": 4, "status": "failed",
                         "message": "not attempted yet: scale still raises NotImplementedError"}]}
    page = feedback.render(record)
    assert "<td class='todo'>not attempted yet: scale still raises" in page and "failed:" not in page
