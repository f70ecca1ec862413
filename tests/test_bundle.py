"""The student bundle of each assignment: no answer before its time, and every notebook runs in it.

For every assignment NN: the bundled ``course/`` differs from the instructor's only in the bodies
of the withheld references (which are stubs naming their exercise), and notebook NN, filled in
with the solution code, runs top to bottom in bundle NN with only the bundle's ``course``
importable (the slow tests; they execute every notebook, as nbval does over ``solutions/``).
"""
from __future__ import annotations

import ast
import os
import time
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from grader import __main__ as cli
from grader import bundle, config, registry, release

NOTEBOOKS = registry.notebooks()
COURSE = config.REPO / "course"
FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


# --------------------------------------------------------------------------- helpers
def functions(tree: ast.Module) -> dict[str, ast.AST]:
    """qualname -> node of every top-level function and every method of a top-level class."""
    out = {}
    for node in tree.body:
        if isinstance(node, FUNCTIONS):
            out[node.name] = node
        elif isinstance(node, ast.ClassDef):
            out.update({f"{node.name}.{m.name}": m for m in node.body if isinstance(m, FUNCTIONS)})
    return out


def split_docstring(node) -> tuple[str | None, list]:
    """(docstring or None, the statements after it)."""
    doc = ast.get_docstring(node, clean=False)
    return doc, node.body[1:] if doc is not None else node.body


def dump(statements) -> str:
    """A comparable text of a list of statements (no positions)."""
    return "\n".join(ast.dump(s) for s in statements)


def is_withheld(module: str, qualname: str, withheld: set[str]) -> str | None:
    """The withheld reference a function belongs to (itself, or its class), else None."""
    for name in (qualname, qualname.split(".")[0]):
        if f"course.{module}.{name}" in withheld:
            return f"course.{module}.{name}"
    return None


def stub_text(statements) -> str:
    """The message of a stub body ``raise NotImplementedError("...")``, else ``""``."""
    if len(statements) != 1 or not isinstance(statements[0], ast.Raise):
        return ""
    exc = statements[0].exc
    if not (isinstance(exc, ast.Call) and getattr(exc.func, "id", "") == "NotImplementedError"):
        return ""
    return ast.literal_eval(exc.args[0]) if exc.args else ""


@pytest.fixture(scope="module")
def bundles(tmp_path_factory):
    """assignment -> folder of its unzipped bundle (built on first use, through the CLI)."""
    built = {}

    def get(assignment: str) -> Path:
        if assignment not in built:
            tmp = tmp_path_factory.mktemp(f"bundle{assignment[:2]}")
            out = tmp / "bundle.zip"
            assert cli.main(["bundle", "--assignment", assignment[:2], "--output", str(out)]) == 0
            zipfile.ZipFile(out).extractall(tmp)
            built[assignment] = tmp / bundle.TOP
        return built[assignment]
    return get


# --------------------------------------------------------------------------- what is in a bundle
@pytest.mark.parametrize("assignment", NOTEBOOKS)
def test_only_withheld_bodies_differ_and_they_are_stubs(assignment, tmp_path):
    withheld = set(registry.withheld_references(assignment))
    stripped = bundle.stripped_course(assignment, tmp_path)
    originals = sorted(p.relative_to(COURSE) for p in COURSE.rglob("*.py"))
    assert sorted(p.relative_to(stripped) for p in stripped.rglob("*.py")) == originals
    seen, withheld_bodies, bundled_bodies = set(), [], []
    for rel in originals:
        mine = functions(ast.parse((COURSE / rel).read_text()))
        theirs = functions(ast.parse((stripped / rel).read_text()))
        assert list(theirs) == list(mine), f"{rel}: functions added or lost"
        for qualname, node in mine.items():
            doc, body = split_docstring(node)
            stub_doc, stub_body = split_docstring(theirs[qualname])
            assert (stub_doc, ast.dump(theirs[qualname].args)) == (doc, ast.dump(node.args)), \
                f"{rel}:{qualname}: signature or docstring changed"
            bundled_bodies.append(dump(stub_body))
            reference = is_withheld(rel.stem, qualname, withheld)
            if reference is None:
                assert dump(stub_body) == dump(body), f"{rel}:{qualname} changed"
                continue
            seen.add(reference)
            withheld_bodies.append((f"{rel}:{qualname}", dump(body)))
            message = stub_text(stub_body)
            ex = next(e for e in registry.all_exercises() if reference in e.references)
            assert f"`{ex.solution_cell}`" in message and ex.notebook in message, \
                f"{rel}:{qualname} is not a stub naming its exercise: {message!r}"
    assert seen == withheld, f"withheld but not found: {sorted(withheld - seen)}"
    for where, body in withheld_bodies:
        assert body not in bundled_bodies, f"the body of {where} is still in bundle {assignment}"


def test_calling_a_stub_names_the_exercise(bundles):
    """The stub raises when called, from a kernel-like process that imports the bundle."""
    import subprocess
    import sys
    root = bundles(NOTEBOOKS[0])
    code = "from course import linear; linear.predict(None, None, None)"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=root.parent, env={**os.environ, "PYTHONPATH": str(root)})
    assert run.returncode != 0
    assert ("NotImplementedError: `course.linear.predict` is exercise `predict` of notebook "
            "01_linear_regression") in run.stderr


def test_stripped_course_is_deterministic(tmp_path):
    a = bundle.stripped_course(NOTEBOOKS[2], tmp_path / "a")
    b = bundle.stripped_course(NOTEBOOKS[2], tmp_path / "b")
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert files and files == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    assert all((a / f).read_bytes() == (b / f).read_bytes() for f in files)


def test_zip_holds_notebooks_up_to_nn_and_is_reproducible(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")      # 2026-01-01 00:00 UTC
    first, second = tmp_path / "a.zip", tmp_path / "b.zip"
    assert cli.main(["bundle", "--assignment", "03", "--output", str(first)]) == 0
    assert cli.main(["bundle", "--assignment", "03_backpropagation", "--output", str(second)]) == 0
    assert first.read_bytes() == second.read_bytes()
    z = zipfile.ZipFile(first)
    names = z.namelist()
    notebooks = sorted(n for n in names if n.endswith(".ipynb"))
    assert notebooks == [f"{bundle.TOP}/assignments/{a}/{a}.ipynb" for a in NOTEBOOKS[:3]]
    assert {f"{bundle.TOP}/README.md", f"{bundle.TOP}/pyproject.toml",
            f"{bundle.TOP}/course/__init__.py", f"{bundle.TOP}/course/checks.py"} <= set(names)
    assert not [n for n in names if "/solutions/" in n or "/grader/" in n
                or "__pycache__" in n or n.endswith(".pyc")]
    assert not any(mark in z.read(n) for n in names
                   for mark in (b"BEGIN HIDDEN TESTS", b"BEGIN SOLUTION", b"grader."))
    assert {info.date_time for info in z.infolist()} == {(2026, 1, 1, 0, 0, 0)}
    assert b'include = ["course*"]' in z.read(f"{bundle.TOP}/pyproject.toml")
    readme = z.read(f"{bundle.TOP}/README.md").decode()
    assert "cd numpy-nn-course" in readme and ".venv/bin/jupyter lab" in readme
    assert f"assignments/{NOTEBOOKS[3]}/" in readme       # what to copy from the next bundle


def test_zip_is_dated_by_the_last_commit(tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    out = tmp_path / "b.zip"
    assert cli.main(["bundle", "--assignment", "01", "--output", str(out)]) == 0
    dates = {info.date_time for info in zipfile.ZipFile(out).infolist()}
    assert dates == {bundle.zip_date(bundle.source_date([]))}
    assert min(dates) > (2025, 1, 1, 0, 0, 0)


def test_bundle_without_assignment_explains_the_option(capsys):
    assert cli.main(["bundle"]) == 2
    err = capsys.readouterr().err
    assert "--assignment NN" in err and "python -m grader bundle --assignment 01" in err
    assert cli.main(["bundle", "--assignment", "99"]) == 2
    assert "unknown assignment '99'" in capsys.readouterr().err


# --------------------------------------------------------------------------- notebooks in bundles
CHECK_COURSE = """# added by tests/test_bundle.py: prove that `course` comes from the bundle
import os
import course
assert os.path.realpath(course.__file__).startswith(os.environ["BUNDLE_ROOT"] + os.sep), \\
    course.__file__
"""


def execute_in_bundle(nb, root: Path, assignment: str) -> nbformat.NotebookNode:
    """Run ``nb`` in a fresh kernel from its folder in the bundle at ``root``, with only the
    bundle's ``course`` importable ahead of everything else; return the executed notebook.
    Raises ``CellExecutionError`` at the first cell that fails."""
    nb = nbformat.from_dict(nb)
    nb.cells.insert(0, nbformat.v4.new_code_cell(CHECK_COURSE))
    env = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           **os.environ, "PYTHONPATH": str(root), "BUNDLE_ROOT": os.path.realpath(root),
           "MPLBACKEND": "Agg"}
    folder = root / "assignments" / assignment
    client = NotebookClient(nb, timeout=1800, kernel_name="python3",
                            resources={"metadata": {"path": str(folder)}})
    client.execute(env=env)
    return nb


def printed(nb) -> str:
    """Everything the cells of an executed notebook printed."""
    return "".join(out.get("text", "") for cell in nb.cells for out in cell.get("outputs", [])
                   if out.get("output_type") == "stream")


def solved(assignment: str) -> nbformat.NotebookNode:
    """The student notebook with the solution code filled in (no hidden tests)."""
    source = config.SOLUTIONS / assignment / f"{assignment}.ipynb"
    return release.studentize(nbformat.read(source, as_version=4), keep_solutions=True)


@pytest.mark.slow
@pytest.mark.parametrize("assignment", NOTEBOOKS)
def test_solved_notebook_runs_in_its_bundle(assignment, bundles):
    """Every cell of notebook NN, filled in with the solutions, runs in bundle NN, and every
    visible check runs (none waits for an earlier exercise)."""
    root = bundles(assignment)
    start = time.perf_counter()
    done = execute_in_bundle(solved(assignment), root, assignment)
    print(f"{assignment}: {time.perf_counter() - start:.1f} s in its bundle")
    assert "Visible checks skipped" not in printed(done), "a grade cell skipped its visible checks"


@pytest.mark.slow
@pytest.mark.parametrize("assignment", NOTEBOOKS)
def test_untouched_notebook_runs_to_its_first_exercise(assignment, bundles):
    """The student version stops at the first unfinished exercise (nbgrader's bare stub), never
    at a stub of ``course/`` and never before that exercise."""
    root = bundles(assignment)
    nb = nbformat.read(root / "assignments" / assignment / f"{assignment}.ipynb", as_version=4)
    first_solution = next(i for i, c in enumerate(nb.cells)
                          if c.metadata.get("nbgrader", {}).get("solution"))
    nb.cells = nb.cells[:first_solution + 2]           # through the first exercise's test cell
    with pytest.raises(CellExecutionError) as failure:
        execute_in_bundle(nb, root, assignment)
    assert failure.value.ename == "NotImplementedError" and failure.value.evalue == "", \
        f"{assignment} stopped on something else than the student's stub: {failure.value}"
