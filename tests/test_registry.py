"""The exercise registry agrees with the notebooks, and the version hash covers every file that
decides a grade."""
import importlib
import shutil

import nbformat
import pytest

from grader import config, registry

NOTEBOOKS = registry.notebooks()


def _cells(assignment, kind):
    nb = nbformat.read(registry.SOLUTIONS / assignment / f"{assignment}.ipynb", as_version=4)
    return {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells
            if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get(kind)}


def test_every_notebook_is_registered():
    assert NOTEBOOKS == config.list_assignments(), "a solution notebook has no grader/exercises module"


@pytest.mark.parametrize("assignment", NOTEBOOKS)
def test_registry_matches_the_grade_cells(assignment):
    """One entry per grade cell, with the cell's points, in notebook order."""
    grade = _cells(assignment, "grade")
    entries = registry.exercises(assignment)
    assert [e.grade_id for e in entries] == list(grade)
    for e in entries:
        assert e.points == grade[e.grade_id].metadata["nbgrader"]["points"], e.grade_id


@pytest.mark.parametrize("assignment", NOTEBOOKS)
def test_registry_names_what_the_solution_cells_define(assignment):
    """Each entry's solution cell exists and defines the functions handed to its check."""
    solution = _cells(assignment, "solution")
    for e in registry.exercises(assignment):
        defined = {line.split()[1].split("(")[0].rstrip(":")
                   for c in solution.values() for line in c.source.splitlines()
                   if line.startswith(("def ", "class "))}
        assert e.solution_cell in solution, f"{e.grade_id}: no solution cell {e.solution_cell}"
        for expr in e.functions:
            assert expr.split(".")[0] in defined or "." in expr, f"{e.grade_id}: {expr} undefined"


@pytest.mark.parametrize("ex", registry.all_exercises(), ids=lambda e: f"{e.notebook[:2]}-{e.grade_id}")
def test_references_name_real_course_objects(ex):
    for ref in ex.references:
        module, _, name = ref.rpartition(".")
        assert hasattr(importlib.import_module(module), name), ref


def test_withheld_references_follow_the_schedule():
    """Bundle 01 withholds every answer; bundle 03 keeps 01's and 02's, withholds 03's."""
    first = registry.withheld_references(NOTEBOOKS[0])
    assert set(first) == {r for e in registry.all_exercises() for r in e.references}
    third = set(registry.withheld_references("03_backpropagation"))
    assert "course.layers.affine_backward" in third and "course.optim.adam" in third
    assert "course.linear.predict" not in third and "course.losses.softmax" not in third


def _copy_repo(tmp_path):
    for top in ("course", "grader"):
        shutil.copytree(config.REPO / top, tmp_path / top,
                        ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(config.SOLUTIONS / NOTEBOOKS[0], tmp_path / "solutions" / NOTEBOOKS[0])
    return tmp_path


def test_version_hash_covers_every_grading_file(tmp_path, monkeypatch):
    """Editing any file that can change a grade changes the hash; a presentation module does not."""
    root = _copy_repo(tmp_path)
    monkeypatch.setattr(config, "REPO", root)
    source = root / "solutions"
    files = config.grading_files(NOTEBOOKS[0], source)
    rel = {str(f.relative_to(root)) for f in files}
    assert {"grader/trusted.py", "grader/agent.py", "grader/bugs/harness.py",
            "grader/exercises/nb01.py", "grader/execute.py", "course/linear.py"} <= rel
    base = config.version_hash(NOTEBOOKS[0], source)
    for f in files:
        original = f.read_bytes()
        f.write_bytes(original + b"\n")
        assert config.version_hash(NOTEBOOKS[0], source) != base, f"{f} is not in the hash"
        f.write_bytes(original)
    (root / "grader" / "export.py").write_text("# presentation only\n")
    assert config.version_hash(NOTEBOOKS[0], source) == base
