"""course.errors in a real kernel: what a student reads when a test fails, an exercise is not
written yet, a later cell runs too early, or the student's function raises."""
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from course import errors

REPO = Path(__file__).resolve().parents[1]
NB01 = REPO / "assignments" / "01_linear_regression" / "01_linear_regression.ipynb"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def cell_of(nb, grade_id):
    return next(i for i, c in enumerate(nb.cells)
                if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


@pytest.fixture(scope="module")
def errors_shown(tmp_path_factory):
    """Notebook 01 as a student has it, saved; the kernel runs the setup cell, a wrong predict
    and its test, the untouched mse_loss and its test, a call of mse_gradients before its cell,
    and a call of predict that raises. Returns {label: (ename, plain traceback text)}."""
    folder = tmp_path_factory.mktemp("nb01")
    nb = nbformat.read(NB01, as_version=4)
    p, m = cell_of(nb, "predict"), cell_of(nb, "mse_loss")
    nb.cells[p].source = nb.cells[p].source.replace("raise NotImplementedError()",
                                                    "return X @ W")
    nbformat.write(nb, folder / NB01.name)            # the saved file the messages read
    run = [nb.cells[2], nb.cells[p], nb.cells[p + 1], nb.cells[m], nb.cells[m + 1],
           nbformat.v4.new_code_cell("mse_gradients(X, X, W, b)"),
           nbformat.v4.new_code_cell("predict(np.ones((3, 2)), np.ones((3, 3)), 0)")]
    labels = ["setup", "predict", "test_predict", "mse_loss", "test_mse_loss", "early", "raises"]
    executed = nbformat.v4.new_notebook(cells=run, metadata=nb.metadata)
    NotebookClient(executed, timeout=120, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(folder)}}).execute()
    shown = {}
    for label, cell in zip(labels, executed.cells):
        for out in cell.outputs:
            if out.output_type == "error":
                shown[label] = (out.ename, ANSI.sub("", "\n".join(out.traceback)))
    return shown


@pytest.mark.slow
def test_failed_check_shows_message_hint_and_test_line_only(errors_shown):
    ename, text = errors_shown["test_predict"]
    assert ename == "CheckFailure"
    lines = text.splitlines()
    assert lines[0].startswith("Test failed: y_hat is wrong in 9 of 9 entries")
    assert lines[1] == "Hint: y_hat = X @ W + b: X comes first, and b is added to every row."
    assert 'check_array("y_hat", predict(X, W, b), expected,' in text
    assert "checks.py" not in text and len(lines) <= 5, text


@pytest.mark.slow
def test_untouched_exercise_is_not_attempted_yet(errors_shown):
    ename, text = errors_shown["test_mse_loss"]
    assert ename == "NotImplementedError"              # nbclient and the grader see the same error
    assert text.startswith("Not attempted yet: Exercise 2: `mse_loss` (3 points) still raises")
    assert "Traceback" not in text


@pytest.mark.slow
def test_name_of_an_exercise_not_run_yet_says_which_exercise(errors_shown):
    ename, text = errors_shown["early"]
    assert ename == "NameError"
    assert "`mse_gradients` is your answer to Exercise 3: `mse_gradients` (6 points)" in text


@pytest.mark.slow
def test_students_function_raising_shows_their_frame(errors_shown):
    ename, text = errors_shown["raises"]
    assert ename == "ValueError"
    assert text.startswith("Your `predict` raised ValueError: matmul")
    assert "in predict():  return X @ W" in text and "site-packages" not in text
    assert "mse_loss" not in errors_shown and "predict" not in errors_shown   # defining is fine


def test_notebook_names_maps_exercises_and_cells(tmp_path):
    nb = nbformat.read(NB01, as_version=4)
    path = tmp_path / NB01.name
    nbformat.write(nb, path)
    names = errors.notebook_names(path)
    assert names["mse_gradients"] == ("exercise", "Exercise 3: `mse_gradients` (6 points)")
    assert names["standardize_split"][1].startswith("Exercise 6: `standardize`")
    kind, first = names["X_small"]
    assert kind == "cell" and first.startswith("X_small = np.array(")
    assert "expected" not in names                     # made by test cells only


def test_exercises_without_a_numbered_heading_are_named_by_their_grade_id(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("## 4. Momentum"),
        nbformat.v4.new_code_cell("def momentum(w, dw, config):\n    raise NotImplementedError()",
                                  metadata={"nbgrader": {"solution": True, "grade": False,
                                                         "grade_id": "momentum"}}),
        nbformat.v4.new_code_cell("path = momentum(1, 2, {})")])
    nbformat.write(nb, tmp_path / "04.ipynb")
    names = errors.notebook_names(tmp_path / "04.ipynb")
    assert names == {"momentum": ("exercise", "the exercise `momentum`"),
                     "path": ("cell", "path = momentum(1, 2, {})")}
