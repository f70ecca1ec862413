"""nbgrader's own tools on the grader's work directory: the config file, feedback without hidden
tests or instructor paths, student names and submission times in the gradebook."""
import os
import subprocess
import sys
from datetime import datetime

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output
from nbgrader.api import Gradebook

from grader import __main__ as cli
from grader import config, nbgrader_feedback, students, synthetic

FIX = synthetic.FIXTURE
SUBMITTED_AT = datetime(2026, 3, 14, 9, 26, 53)          # naive UTC, as nbgrader stores it
CANVAS_AT = datetime(2026, 3, 15, 23, 59, 0)


def _set_mtime(path, when):
    stamp = (when - datetime(1970, 1, 1)).total_seconds()
    os.utime(path, (stamp, stamp))


@pytest.fixture(scope="module")
def class_run(tmp_path_factory):
    """A folder-tree class (ann, ben) plus one Canvas-named file, graded with a roster."""
    tmp = tmp_path_factory.mktemp("nbgrader")
    src, subs, work = tmp / "solutions", tmp / "subs", tmp / "work"
    synthetic.make_fixture_source(src)
    for student, kind in {"ann": "correct", "ben": "wrong"}.items():
        path = subs / student / FIX / f"{FIX}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(synthetic.fixture_submission(kind), str(path))
        _set_mtime(path, SUBMITTED_AT)
    canvas_file = subs / f"doejane_1001_501_{FIX}.ipynb"
    nbformat.write(synthetic.fixture_submission("exception"), str(canvas_file))
    _set_mtime(canvas_file, CANVAS_AT)
    roster = tmp / "roster.csv"
    roster.write_text("id,first_name,last_name,email\nann,Ann,Lee,ann@example.org\n"
                      "ben,Ben,Okafor,\ncarla,Carla,Diaz,\n")
    rc = cli.main(["--workdir", str(work), "--source-dir", str(src), "autograde", FIX, str(subs),
                   "--jobs", "2", "--no-progress", "--cell-timeout", "20", "--roster", str(roster)])
    assert rc == 0
    return work


def test_autograde_writes_an_nbgrader_config_with_the_graders_settings(class_run):
    work = class_run
    text = (work / "nbgrader_config.py").read_text()
    for section, values in config.nbgrader_config(work).items():
        for key, value in values.items():
            assert f"c.{section}.{key} = {value!r}" in text
    assert "grader.nbgrader_feedback.StripInstructorContent" in text
    # nbgrader itself reads it: its export lists the class from the grader's gradebook
    run = subprocess.run([sys.executable, "-m", "nbgrader", "export"], cwd=work,
                         capture_output=True, text=True, check=False, timeout=300)
    assert run.returncode == 0, run.stderr
    exported = (work / "nbgrader_grades.csv").read_text()
    assert "ann" in exported and "1001" in exported and "Okafor" in exported
    assert (work / "grades.csv").read_text().startswith("student,assignment,")   # ours untouched


def test_nbgrader_generate_feedback_shows_no_hidden_tests_or_instructor_paths(class_run):
    work = class_run
    run = subprocess.run([sys.executable, "-m", "nbgrader", "generate_feedback", FIX, "--force"],
                         cwd=work, capture_output=True, text=True, check=False, timeout=300)
    assert run.returncode == 0, run.stderr
    pages = sorted((work / "nbgrader_feedback").glob(f"*/{FIX}/{FIX}.html"))
    assert [p.parent.parent.name for p in pages] == ["1001", "ann", "ben"]
    for page in pages:
        html = page.read_text()
        assert "scale" in html and "add(1, 2) should be 3" in html      # visible tests stay
        for secret in ("BEGIN HIDDEN TESTS", synthetic.HIDDEN_MARK, "grader.exercises",
                       str(config.REPO), str(work), "/grader-run-"):
            assert secret not in html, (page, secret)
    assert "ValueError: student bug" in (work / "nbgrader_feedback" / "1001" / FIX / f"{FIX}.html").read_text()


def test_gradebook_has_names_and_submission_times(class_run):
    work = class_run
    with Gradebook(config.db_url(work), config.COURSE_ID) as gb:
        people = {s.id: (s.first_name, s.last_name, s.email) for s in gb.students}
        assert people["ann"] == ("Ann", "Lee", "ann@example.org")
        assert people["ben"] == ("Ben", "Okafor", None)
        assert people["carla"] == ("Carla", "Diaz", None)          # on the roster, no submission
        assert people["1001"] == ("", "doejane", None)             # the Canvas file name's name
        assert gb.find_submission(FIX, "ann").timestamp == SUBMITTED_AT
        assert gb.find_submission(FIX, "1001").timestamp == CANVAS_AT
    stamp = (work / "submitted" / "ann" / FIX / "timestamp.txt").read_text()
    assert stamp == "2026-03-14 09:26:53.000000 UTC"


def test_roster_errors_name_the_problem_and_the_format(tmp_path, capsys):
    bad = tmp_path / "roster.csv"
    bad.write_text("id,name\nann,Ann Lee\n")
    with pytest.raises(ValueError, match=r"missing column\(s\) first_name, last_name; expected a "
                                         r"header row id,first_name,last_name\[,email\]"):
        students.read_roster(bad)
    bad.write_text("id,first_name,last_name\nann,Ann,Lee\nann,Anne,Lee\n")
    with pytest.raises(ValueError, match="line 3: student id 'ann' appears twice"):
        students.read_roster(bad)
    assert cli.main(["--workdir", str(tmp_path / "w"), "autograde", "all", str(tmp_path),
                     "--roster", str(tmp_path / "none.csv")]) == 2
    assert "cannot read it" in capsys.readouterr().err


def test_a_canvas_gradebook_export_is_a_roster(tmp_path):
    path = tmp_path / "canvas.csv"
    path.write_text("\ufeffStudent,ID,SIS User ID,SIS Login ID,Section,HW (12)\n"
                    "    Points Possible,,,,,10\n\"Lee, Ann\",1001,S1,alee,A,\n")
    assert students.read_roster(path) == {"1001": students.Person("Ann", "Lee")}


def _hidden_cell():
    cell = new_code_cell('"""Checks predict()."""\nfrom course.checks import check_array\n'
                         "import grader.agent\ncheck_array('y', predict(1), 2)\n"
                         "### BEGIN HIDDEN TESTS\nfrom grader.exercises import nb01\n"
                         "nb01.check_predict(predict)\n### END HIDDEN TESTS\n")
    path = f"{config.REPO}/grader/exercises/nb01.py"
    cell.outputs = [
        new_output("error", ename="AssertionError", evalue=f"y is wrong (see {path}:12)",
                   traceback=["Traceback", f"File {path}:12, in check_predict", "nb01.check_predict(predict)"]),
        new_output("stream", name="stderr", text="/tmp/grader-run-x1/home/f.py:3: careful\n")]
    return cell


def test_the_feedback_preprocessor_strips_what_students_must_not_see():
    nb = new_notebook(cells=[_hidden_cell(), new_code_cell("### BEGIN HIDDEN TESTS\nsecret()")])
    nb, _ = nbgrader_feedback.StripInstructorContent().preprocess(nb, {})
    first, second = nb.cells
    assert first.source == ('"""Checks predict()."""\nfrom course.checks import check_array\n'
                            "check_array('y', predict(1), 2)")
    assert second.source == ""                                  # unterminated block: all hidden
    error, stderr = first.outputs
    assert error.traceback == ["AssertionError: y is wrong (see <path>:12)"]
    assert stderr.text == "<path>:3: careful\n"
