"""Student versions: no solution code, no hidden tests, no outputs, deterministic, up to date."""
import json
import re

import nbformat
import pytest

from grader import __main__ as cli
from grader import config, release, synthetic

ASSIGNMENTS = config.list_assignments()


@pytest.fixture()
def fixture_course(tmp_path):
    src, rel = tmp_path / "solutions", tmp_path / "assignments"
    synthetic.make_fixture_source(src)
    release.release([synthetic.FIXTURE], src, rel)
    return src, rel


def test_fixture_release_strips_solutions_hidden_tests_and_outputs(fixture_course):
    src, rel = fixture_course
    path = rel / synthetic.FIXTURE / f"{synthetic.FIXTURE}.ipynb"
    text = path.read_text()
    assert synthetic.SOLUTION_MARK not in text
    assert synthetic.HIDDEN_MARK not in text
    assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
    nb = nbformat.read(str(path), as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
    assert text.count("raise NotImplementedError()") == 3
    assert 'assert add(1, 2) == 3' in text          # visible tests stay
    # grade cells keep their points and are locked
    points = {c.metadata.nbgrader["grade_id"]: c.metadata.nbgrader["points"]
              for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")}
    assert points == synthetic.POINTS


def test_release_is_byte_identical_and_check_detects_changes(fixture_course, capsys):
    src, rel = fixture_course
    path = rel / synthetic.FIXTURE / f"{synthetic.FIXTURE}.ipynb"
    first = path.read_bytes()
    release.release([synthetic.FIXTURE], src, rel)
    assert path.read_bytes() == first
    args = ["--source-dir", str(src), "--release-dir", str(rel), "release", "--check"]
    assert cli.main(args) == 0
    # edit the source: the committed student version is now stale
    nb_path = src / synthetic.FIXTURE / f"{synthetic.FIXTURE}.ipynb"
    nb = nbformat.read(str(nb_path), as_version=4)
    nb.cells[0].source += "\nA new sentence."
    nbformat.write(nb, str(nb_path))
    assert release.stale([synthetic.FIXTURE], src, rel) == [synthetic.FIXTURE]
    capsys.readouterr()
    assert cli.main(args) == 1
    assert f"{synthetic.FIXTURE}.ipynb" in capsys.readouterr().out
    assert cli.main(["--source-dir", str(src), "--release-dir", str(rel), "release"]) == 0
    assert cli.main(args) == 0


def test_studentize_keeps_code_without_markers():
    nb = release.studentize(synthetic.fixture_notebook(), keep_solutions=True)
    text = json.dumps(nb)
    assert synthetic.SOLUTION_MARK in text and "BEGIN SOLUTION" not in text
    assert synthetic.HIDDEN_MARK not in text


def _solution_lines(cell_source):
    inside, lines = False, []
    for line in cell_source.split("\n"):
        if "### BEGIN SOLUTION" in line or "### BEGIN HIDDEN TESTS" in line:
            inside = True
        elif "### END SOLUTION" in line or "### END HIDDEN TESTS" in line:
            inside = False
        elif inside and len(line.strip()) > 12 and not line.strip().startswith("#"):
            lines.append(line.strip())
    return lines


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_committed_release_has_no_solution_or_hidden_code(assignment):
    student_path = config.ASSIGNMENTS / assignment / f"{assignment}.ipynb"
    assert student_path.is_file(), f"missing {student_path}: run python -m grader release"
    source = nbformat.read(str(config.SOLUTIONS / assignment / f"{assignment}.ipynb"), as_version=4)
    student = nbformat.read(str(student_path), as_version=4)
    text = student_path.read_text()
    assert not re.search(r"BEGIN (SOLUTION|HIDDEN TESTS)", text)
    assert "grader.exercises" not in text
    by_id = {c.metadata["nbgrader"]["grade_id"]: c for c in student.cells
             if c.metadata.get("nbgrader", {}).get("grade_id")}
    for cell in source.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid:
            for line in _solution_lines(cell.source):
                assert line not in by_id[gid].source, f"{assignment}/{gid} leaks: {line}"
    assert all(not c.get("outputs") for c in student.cells if c.cell_type == "code")


@pytest.mark.slow
def test_committed_release_is_up_to_date():
    assert release.stale(ASSIGNMENTS) == [], "run: python -m grader release"
