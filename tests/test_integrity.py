"""The static scan flags each class of attack and leaves honest code alone."""
import nbformat
import pytest

from grader.integrity import scan_source, scan_submission, summarize

EXERCISES = {"predict", "softmax", "mse_loss"}

HONEST = '''
def softmax(scores):
    """Row-wise softmax."""
    shifted = scores - scores.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)

def train(X, y, rng):
    losses = []
    for epoch in range(3):
        losses.append(float(np.mean((X @ np.ones((X.shape[1], 1)) - y) ** 2)))
    return losses
'''

ATTACKS = {
    "patches a shared module": "np.allclose = lambda *a, **k: True",
    "patches a shared module (np.testing": "np.testing.assert_allclose = print",
    "rebinds the builtin": "isinstance = lambda *a: True",
    "defines __eq__": "class Liar(np.ndarray):\n    def __eq__(self, other):\n        return True",
    "defines __array_ufunc__": "class L:\n    def __array_ufunc__(self, *a, **k):\n        return 0",
    "calls the reference implementation": "def softmax(s):\n    return course.losses.softmax(s)",
    "calls the reference implementation (alias)": "from course import losses as L\ndef softmax(s):\n    return L.softmax(s)",
    "uses the reference implementation": "import course.linear\npredict = course.linear.predict",
    "imports the reference implementation": "from course.losses import softmax as ref",
    "calls os._exit": "import os\nos._exit(0)",
    "calls sys.exit": "import sys\nsys.exit(0)",
    "imports a module that can escape": "import subprocess\nsubprocess.run(['ls'])",
    "reads or lists files": "text = open('../../solutions/01/01.ipynb').read()",
    "imports the grader": "from grader.exercises import nb01",
    "uses introspection (__code__)": "check_array.__code__ = (lambda *a, **k: None).__code__",
    "uses introspection (set_custom_exc)": "get_ipython().set_custom_exc((Exception,), None)",
    "calls signal.signal": "signal.signal(14, lambda *a: None)",
    "IPython magic": "!cat /etc/passwd",
    "calls exec": "exec('import os')",
}

# the evasions an outside review found, each unflagged before (expected text, code)
EVASIONS = [
    ("dynamic attribute access", "import course.losses as m\nsoftmax = getattr(m, 'soft' + 'max')"),
    ("uses introspection (vars)", "softmax = vars(course.losses)['softmax']"),
    ("imports a module that can escape", "import runpy\nns = runpy.run_path('course/losses.py')"),
    ("uses the reference implementation",
     "import functools, course.losses\nsoftmax = functools.partial(course.losses.softmax)"),
    ("uses introspection (displayhook)", "import sys\nsys.displayhook('ok')"),
    ("writes files", "f = open('notes.txt', 'w')"),
    ("reads or lists files", "p = '/'.join(['', 'work'])\nopen(p, 'r')"),
    ("loads code from a file", "spec = importlib.util.spec_from_file_location('m', path)"),
]


def test_honest_code_is_not_flagged():
    assert scan_source(HONEST, "softmax", EXERCISES) == []


@pytest.mark.parametrize("rule, code", list(ATTACKS.items()) + EVASIONS)
def test_each_attack_is_flagged(rule, code):
    flags = scan_source(code, "c", EXERCISES)
    rule = rule.replace(" (alias)", "")
    assert any(rule in str(f) for f in flags), f"{rule!r} not in {[str(f) for f in flags]}"


def test_grade_cells_are_not_scanned_but_added_cells_are():
    source = nbformat.v4.new_notebook()
    sol = nbformat.v4.new_code_cell("def predict(X, W, b):\n    return X @ W + b")
    sol.metadata["nbgrader"] = {"solution": True, "grade": False, "locked": False,
                                "grade_id": "predict", "schema_version": 3}
    grade = nbformat.v4.new_code_cell("from grader.exercises import nb01\nnb01.check_predict(predict)")
    grade.metadata["nbgrader"] = {"solution": False, "grade": True, "locked": True,
                                  "grade_id": "test_predict", "points": 1, "schema_version": 3}
    source.cells = [sol, grade]
    submitted = nbformat.from_dict(source)
    submitted.cells = [*submitted.cells, nbformat.v4.new_code_cell("np.all = lambda x: True")]
    flags = scan_submission(submitted, source)
    assert summarize(flags) == "patches a shared module (np.all)"
    assert flags[0].cell == "#2"
