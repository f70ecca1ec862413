"""Hostile submissions gain nothing and stop nothing.

Each attack is written into the untouched student version of assignment 01, whose honest score is
zero: every point an attack earns is unearned. The whole class (attacks, the reference solution
and an honest buggy student) is graded in one run, which must finish and keep everyone's grades.
"""
import nbformat
import pytest

from grader import autograde, config, registry
from grader.bugs import harness

ASSIGNMENT = "01_linear_regression"
STUB = "raise NotImplementedError()"
SOLUTION_PATH = harness.SOLUTIONS / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"

# attack name -> code put in place of the body of `predict` (the first exercise); the code may
# also define things at module level by closing the function first.
ATTACKS = {
    "patch_numpy_comparisons": """return np.zeros((X.shape[0], W.shape[1]))
for _name in ("allclose", "array_equal", "isclose", "all", "any", "abs", "max", "argmax"):
    setattr(np, _name, lambda *a, **k: True)
np.testing.assert_allclose = lambda *a, **k: None
np.testing.assert_array_equal = lambda *a, **k: None
def _noop(*a, **k):
    return None""",
    "patch_test_helpers": """return np.zeros((X.shape[0], W.shape[1]))
import course.checks as _cc
for _name in ("check_array", "check_scalar", "check_shape", "check_true", "as_plain_array"):
    setattr(_cc, _name, lambda *a, **k: None)""",
    "patch_hidden_checks": """return np.zeros((X.shape[0], W.shape[1]))
import importlib, pkgutil, grader.exercises as _gh
for _m in pkgutil.iter_modules(_gh.__path__):
    _mod = importlib.import_module("grader.exercises." + _m.name)
    for _n in dir(_mod):
        if _n.startswith("check_"):
            setattr(_mod, _n, lambda *a, **k: None)""",
    "patch_builtins": """return np.zeros((X.shape[0], W.shape[1]))
import builtins
builtins.isinstance = lambda *a: True
builtins.AssertionError = StopIteration""",
    "always_equal_object": """class _Yes:
        def __eq__(self, other): return True
        def __array__(self, dtype=None, copy=None): return np.zeros((X.shape[0], W.shape[1]))
        shape = (X.shape[0], W.shape[1])
    return _Yes()""",
    "lying_ndarray_subclass": """class _Liar(np.ndarray):
        def __eq__(self, other): return np.ones(self.shape, bool)
        def __sub__(self, other): return np.zeros(self.shape)
        def __rsub__(self, other): return np.zeros(self.shape)
    return np.zeros((X.shape[0], W.shape[1])).view(_Liar)""",
    "call_the_reference": """from course.linear import predict as _reference
    return _reference(X, W, b)""",
    "hand_over_the_reference": """return None
import course.linear
predict = course.linear.predict""",
    "hide_tracebacks": """return np.zeros((X.shape[0], W.shape[1]))
get_ipython().set_custom_exc((BaseException,), lambda *a, **k: None)
import sys
sys.excepthook = lambda *a: None""",
    "signal_handlers": """return np.zeros((X.shape[0], W.shape[1]))
import signal
for _s in (signal.SIGINT, signal.SIGTERM, signal.SIGALRM):
    signal.signal(_s, signal.SIG_IGN)""",
    "exit_kernel": """return np.zeros((X.shape[0], W.shape[1]))
import os
os._exit(0)""",
    "sys_exit": """return np.zeros((X.shape[0], W.shape[1]))
import sys
sys.exit(0)""",
    "subprocess": """return np.zeros((X.shape[0], W.shape[1]))
import subprocess
subprocess.Popen(["sleep", "600"])""",
    "infinite_loop": """return np.zeros((X.shape[0], W.shape[1]))
while True:
    pass""",
    "memory_bomb": """return np.zeros((X.shape[0], W.shape[1]))
_hog = []
while True:
    _hog.append(np.ones(10**7))""",
    "output_decides_the_grade": """import sys
    sys.displayhook("ok")
    sys.displayhook(float("nan"))
    print("-1", file=sys.stderr)
    return np.zeros((X.shape[0], W.shape[1]))""",
    "forge_the_agent": """return np.zeros((X.shape[0], W.shape[1]))
import threading, time
def _forge():
    # wait for the grader's agent, then make every call answer with zeros
    while "__grader__" not in globals():
        time.sleep(0.01)
    globals()["__grader__"].agent.handle = lambda *a, **k: ({"out": {"t": "none"},
                                                            "args_after": {"t": "list", "v": [[], {}]}}, {})
threading.Thread(target=_forge, daemon=True).start()""",
    "read_the_solution": f"""import json
    _nb = json.load(open({str(SOLUTION_PATH)!r}))
    _src = [c["source"] for c in _nb["cells"] if "def predict" in "".join(c["source"])][0]
    _ns = {{"np": np}}
    exec("".join(_src).replace("### BEGIN SOLUTION", "").replace("### END SOLUTION", ""), _ns)
    return _ns["predict"](X, W, b)""",
}


# correct work that writes to stderr and displays values while graded: worth full marks
NOISE = """import sys, logging, warnings
    print("predict running", file=sys.stderr)
    warnings.warn("a warning from the student's predict")
    logging.getLogger("student").error("a log line on stderr")
    sys.displayhook("not a score")
    y_hat = X @ W + b"""
TQDM_LOOP = "from tqdm import tqdm\n    for epoch in tqdm(range(epochs)):"


def noisy_reference():
    """The reference solution with stderr output, a warning, a log line, a displayed value and a
    tqdm progress bar inside graded functions."""
    nb = nbformat.read(SOLUTION_PATH, as_version=4)
    edits = {"predict": ("y_hat = X @ W + b", NOISE), "fit_gradient_descent": ("for epoch in range(epochs):", TQDM_LOOP)}
    for cell in nb.cells:
        edit = edits.pop(cell.metadata.get("nbgrader", {}).get("grade_id"), None)
        if edit and cell.metadata["nbgrader"].get("solution"):
            assert cell.source.count(edit[0]) == 1, edit[0]
            cell.source = cell.source.replace(*edit)
    assert not edits, edits
    return nb


# output meant to run in the instructor's browser when formgrader shows the autograded notebook
SCRIPTS = """from IPython.display import HTML, Javascript, display
display(HTML("<script>document.title='pwned'</script><img src=x onerror=\\"alert(1)\\">"))
display(Javascript("alert(2)"))"""


def with_scripts():
    """The untouched notebook with a cell displaying a script and a markdown cell holding one."""
    nb = student_version()
    nb.cells.insert(1, nbformat.v4.new_code_cell(SCRIPTS))
    nb.cells.insert(1, nbformat.v4.new_markdown_cell("My answer <script>alert(3)</script>"))
    return nb


def student_version():
    return nbformat.read(config.ASSIGNMENTS / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)


def with_attack(code: str):
    nb = student_version()
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "predict":
            assert STUB in cell.source
            cell.source = cell.source.replace(STUB, code)
            return nb
    raise AssertionError("no predict cell")


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile")
    subs = base / "subs"
    class_ = {f"attack_{name}": with_attack(code) for name, code in ATTACKS.items()}
    class_["reference"] = nbformat.read(SOLUTION_PATH, as_version=4)
    class_["noisy_reference"] = noisy_reference()
    class_["scripts"] = with_scripts()
    for student, nb in class_.items():
        path = subs / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(nb, str(path))
    limits = config.Limits(cell_timeout=20, notebook_timeout=240, memory_mb=1500)
    records = autograde.autograde(ASSIGNMENT, subs, base / "work", jobs=2, limits=limits,
                                  progress=False)
    graded = {r["student"]: r for r in records}
    graded["work"] = base / "work"
    return graded


@pytest.mark.slow
@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_attack_earns_nothing(graded_class, attack):
    record = graded_class[f"attack_{attack}"]
    assert record["status"] == "graded", record.get("problem")
    earned = {c["grade_id"]: c["points"] for c in record["cells"] if c["points"] > 0}
    assert not earned, f"{attack} earned unearned points: {earned}"


@pytest.mark.slow
@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_attack_is_flagged_for_review(graded_class, attack):
    record = graded_class[f"attack_{attack}"]
    assert record["flags"], f"{attack} was not flagged"


@pytest.mark.slow
@pytest.mark.parametrize("student", ["reference", "noisy_reference"])
def test_the_class_still_grades(graded_class, student):
    """The reference solution in the same run keeps full marks, also when its graded functions
    print to stderr, warn, log, display a value and show a tqdm bar."""
    ref = graded_class[student]
    assert ref["score"] == ref["max_score"] == sum(e.points for e in registry.exercises(ASSIGNMENT)), \
        [c for c in ref["cells"] if c["status"] != "passed"]


@pytest.mark.slow
def test_student_markup_cannot_run_in_the_instructors_browser(graded_class):
    """Red team: a displayed <script> and an <img onerror> reached formgrader's rendering of the
    autograded notebook unescaped. They are escaped there, and script outputs dropped."""
    import json

    nb = nbformat.read(autograde.autograded_path(graded_class["work"], "scripts", ASSIGNMENT),
                       as_version=4)
    shown = json.dumps([c.outputs if c.cell_type == "code" else c.source for c in nb.cells])
    assert "alert(1)" in shown and "&lt;script&gt;" in shown   # kept, as text
    for active in ("<script", "<img", "alert(2)", "application/javascript"):
        assert active not in shown, active
