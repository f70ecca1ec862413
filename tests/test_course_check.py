"""``python -m course.check``: the student's pre-submission check, on notebook 01 as a student
has it (untouched, then with one wrong answer) and filled in with the solutions."""
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from course import check
from grader import config, registry, release

REPO = Path(__file__).resolve().parents[1]
NAME = "01_linear_regression"
EXERCISES = registry.exercises(NAME)
TOTAL = sum(e.points for e in EXERCISES)


def run_check(nb, folder: Path) -> tuple[int, str]:
    path = folder / f"{NAME}.ipynb"
    nbformat.write(nb, str(path))
    done = subprocess.run([sys.executable, "-m", "course.check", str(path)], cwd=folder,
                          capture_output=True, text=True, timeout=900)
    assert done.stderr == "", done.stderr              # no kernel chatter, no progress bars
    return done.returncode, done.stdout


def test_limits_are_the_graders():
    limits = config.Limits()
    assert (check.CELL_TIMEOUT, check.NOTEBOOK_TIMEOUT) == \
        (limits.cell_timeout, limits.notebook_timeout)


@pytest.mark.slow
def test_untouched_and_wrong_answers_are_reported_per_exercise(tmp_path):
    nb = nbformat.read(str(config.ASSIGNMENTS / NAME / f"{NAME}.ipynb"), as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "mse_loss")
    cell.source = cell.source.replace("raise NotImplementedError()",
                                      "return float(np.sum((y_hat - y) ** 2) / y.shape[0])")
    rc, out = run_check(nb, tmp_path)
    assert rc == 1, out
    lines = out.splitlines()
    assert "  Exercise 1  predict                  3 points  not attempted yet" in lines, out
    assert any(line.startswith("  Exercise 2  mse_loss                 3 points  fails: "
                               "CheckFailure: loss is 3.33333, expected 1.66667") for line in lines)
    # mse_gradients' test waits for predict, but mse_gradients itself is still the stub
    assert "Exercise 3  mse_gradients            6 points  not attempted yet" in out
    assert f"0 of {TOTAL} points" in out
    assert "runs top to bottom: no, the first error is in cell 7" in out
    assert "within the grader's 900 s" in out


@pytest.mark.slow
def test_solved_notebook_passes_and_runs_top_to_bottom(tmp_path):
    source = config.SOLUTIONS / NAME / f"{NAME}.ipynb"
    nb = release.studentize(nbformat.read(str(source), as_version=4), keep_solutions=True)
    rc, out = run_check(nb, tmp_path)
    assert rc == 0, out
    assert out.count("passes its visible tests") == len(EXERCISES), out
    assert f"{TOTAL} of {TOTAL} points" in out
    assert "runs top to bottom: yes" in out
