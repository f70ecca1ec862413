"""Hidden checks decided in the grader's process, with the student's code behind a channel.

The local transport runs the kernel's agent in this process with the same messages (JSON and
copied arrays); the last tests drive a real kernel through ``execute_notebook``.
"""

import json
import os

import nbformat
import numpy as np
import pytest

from course.checks import check_array, check_true
from grader import agent, config
from grader.execute import execute_notebook, kernel_env
from grader.exercises.common import with_reference_globals
from grader.registry import Exercise
from grader.trusted import LocalTransport, Proxy, run_check, same_transcript


class SpyTransport(LocalTransport):
    """Records every message that goes to the student's side."""

    def __init__(self, namespace):
        super().__init__(namespace)
        self.sent = []

    def request(self, message, arrays, callback):
        self.sent.append((json.dumps(message), {k: np.array(v) for k, v in arrays.items()}))

        def spied(m, a):
            reply, reply_arrays = callback(m, a)
            self.sent.append((json.dumps(reply), reply_arrays))
            return reply, reply_arrays

        return super().request(message, arrays, spied)


def double(x):
    return 2.0 * x


def check_double(fn):
    x = np.arange(6.0).reshape(2, 3)
    check_array("double(x)", fn(x.copy()), double(x))


def entry(check, *names, **kw):
    return Exercise("test_x", 1, check, names, **kw)


def namespace(source):
    ns = {"np": np}
    exec(source, ns)
    return ns


def test_a_correct_function_passes_and_a_wrong_one_fails():
    good = run_check(entry(check_double, "f"), LocalTransport(namespace("def f(x): return x * 2")))
    bad = run_check(entry(check_double, "f"), LocalTransport(namespace("def f(x): return x + 2")))
    assert good.passed and good.status == "passed"
    assert not bad.passed and "double(x)" in bad.message


def test_expected_values_never_cross_to_the_student():
    """Only inputs travel to the kernel: the reference's answer is in no message sent there."""
    spy = SpyTransport(namespace("def f(x): return x + 1"))
    run_check(entry(check_double, "f"), spy)
    expected = double(np.arange(6.0).reshape(2, 3))
    sent = [a for _, arrays in spy.sent for a in arrays.values()]
    assert sent, "nothing was sent"
    assert not any(a.shape == expected.shape and np.array_equal(a, expected) for a in sent)


def test_missing_function_and_raising_function_are_reported():
    missing = run_check(entry(check_double, "f"), LocalTransport(namespace("")))
    stub = run_check(
        entry(check_double, "f"), LocalTransport(namespace("def f(x): raise NotImplementedError()"))
    )
    assert "does not define f" in missing.message
    assert stub.message.startswith("not attempted yet")


def test_lying_objects_and_subclasses_do_not_pass():
    """An object claiming equality stays in the kernel as a handle; a subclass arrives plain."""
    liar = namespace("""
class Yes:
    def __eq__(self, other): return True
    def __array__(self, dtype=None, copy=None): return np.zeros((2, 3))
def f(x): return Yes()
""")
    sub = namespace("""
class Liar(np.ndarray):
    def __eq__(self, other): return np.ones(self.shape, bool)
    def __sub__(self, other): return np.zeros(self.shape)
def f(x): return np.zeros_like(x).view(Liar)
""")
    assert not run_check(entry(check_double, "f"), LocalTransport(liar)).passed
    assert not run_check(entry(check_double, "f"), LocalTransport(sub)).passed


def check_in_place(fn):
    x, config_ = np.ones(3), {"step": 0}
    rng = np.random.default_rng(0)
    fn(x, config_, rng)
    check_true(bool(np.array_equal(x, [2.0, 2.0, 2.0])), "x was not changed in place")
    check_true(config_ == {"step": 1}, f"config is {config_}")
    check_true(
        rng.integers(1 << 30) == np.random.default_rng(0).integers(1 << 30, size=2)[1],
        "the generator did not advance",
    )


def test_in_place_changes_come_back():
    ns = namespace("def f(x, c, rng):\n    x += 1\n    c['step'] += 1\n    rng.integers(1 << 30)")
    verdict = run_check(entry(check_in_place, "f", may_change=(0,)), LocalTransport(ns))
    assert verdict.passed, verdict.message


def check_doubles(double):
    check_array("double", double(np.ones(3), (np.zeros(2),)), [2.0, 2.0, 2.0])


@pytest.mark.parametrize("body, where", [("x *= 2\n    return x", "argument 1"),
                                         ("pair[0][:] = 5\n    return 2 * x", "argument 2[0]")])
def test_an_input_changed_in_place_fails_the_exercise(body, where):
    """Unless the exercise allows it, every array argument (also inside a tuple) must come
    back unchanged, even when the answer is right."""
    ns = namespace(f"def double(x, pair):\n    {body}")
    verdict = run_check(entry(check_doubles, "double"), LocalTransport(ns))
    assert not verdict.passed
    assert f"your double changed its {where} in place" in verdict.message, verdict.message
    honest = namespace("def double(x, pair):\n    return 2 * x")
    assert run_check(entry(check_doubles, "double"), LocalTransport(honest)).passed


def check_loop(fit):
    """The student's loop calls `step`, which is replaced by a grader-side reference."""
    calls = []

    def step(x):
        calls.append(1)
        return x + 1.0

    out = with_reference_globals(fit, step=step)(np.zeros(2), 3)
    check_array("out", out, [3.0, 3.0])
    check_true(len(calls) == 3, f"the reference ran {len(calls)} times")


def test_earlier_exercises_are_replaced_by_grader_side_references():
    ns = namespace(
        "def step(x):\n    return x - 100\n"
        "def fit(x, n):\n    for _ in range(n):\n        x = step(x)\n    return x"
    )
    verdict = run_check(entry(check_loop, "fit"), LocalTransport(ns))
    assert verdict.passed, verdict.message


def check_closure(grad):
    """A grader-side function that reads the argument array through a closure sees the
    student's in-place perturbations (numerical gradients rely on it)."""
    x = np.array([1.0, 2.0])
    got = grad(lambda _: float(np.sum(x**2)), x)
    check_array("gradient", got, 2 * np.array([1.0, 2.0]), atol=1e-4)


def test_callbacks_see_the_arguments_as_the_student_left_them():
    ns = namespace("""
def grad(f, x, h=1e-5):
    g = np.zeros_like(x)
    for i in range(x.size):
        old = x[i]
        x[i] = old + h; up = f(x)
        x[i] = old - h; down = f(x)
        x[i] = old
        g[i] = (up - down) / (2 * h)
    return g
""")
    verdict = run_check(entry(check_closure, "grad", may_change=(1,)), LocalTransport(ns))
    assert verdict.passed, verdict.message


def test_transcripts_compare_answers_call_by_call():
    a = run_check(entry(check_double, "f"), LocalTransport(namespace("def f(x): return x + 2")))
    b = run_check(entry(check_double, "f"), LocalTransport(namespace("def f(x): return 2 + x")))
    c = run_check(entry(check_double, "f"), LocalTransport(namespace("def f(x): return x + 3")))
    assert same_transcript(a.transcript, b.transcript)
    assert not same_transcript(a.transcript, c.transcript)


def test_the_codec_refuses_pickles_and_keeps_dtypes(tmp_path):
    codec = agent.Codec()
    node = codec.encode((np.float32(1.5), np.arange(3, dtype=np.int8), np.float64, {"k": [None]}))
    agent.write_message(tmp_path / "m", {"v": node}, codec.arrays)
    message, arrays = agent.read_message(tmp_path / "m")
    out = agent.Codec(arrays).decode(message["v"])
    assert out[0].dtype == np.float32 and out[1].dtype == np.int8 and out[2] is np.float64
    np.save(tmp_path / "obj.npy", np.array([object()], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError):
        np.load(tmp_path / "obj.npy", allow_pickle=False)


def _kernel_notebook(body: str):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    fn = nbformat.v4.new_code_cell(f"import numpy as np\n{body}")
    grade = nbformat.v4.new_code_cell("print('visible tests')")
    grade.metadata["nbgrader"] = {"grade": True, "grade_id": "test_x", "points": 1}
    after = nbformat.v4.new_code_cell("after = 1")
    nb.cells = [fn, grade, after]
    return nb


def _grade_in_kernel(tmp_path, body, budget=1.0):
    verdicts = {}

    def on_grade_cell(grade_id, session):
        ex = entry(check_double, "f", budget=budget)
        verdicts[grade_id] = run_check(
            ex, session.transport(cpu_budget=budget * 3, channel=tmp_path / "channel")
        )
        return verdicts[grade_id].status not in ("time limit", "kernel exited")

    (tmp_path / "home").mkdir()
    limits = config.Limits(cell_timeout=60, notebook_timeout=120)
    nb, events = execute_notebook(
        _kernel_notebook(body),
        tmp_path,
        limits,
        kernel_env(tmp_path / "home"),
        on_grade_cell=on_grade_cell,
    )
    return verdicts["test_x"], nb


@pytest.mark.slow
@pytest.mark.parametrize(
    "body, passed, status",
    [
        ("def f(x):\n    return 2 * x", True, "passed"),
        ("def f(x):\n    return x", False, "failed"),
        # the displayed value and stderr of a cell count for nothing
        (
            "import sys\ndef f(x):\n    sys.displayhook('ok')\n    print('noise', file=sys.stderr)\n"
            "    return x",
            False,
            "failed",
        ),
        (
            "import sys\ndef f(x):\n    print('progress', file=sys.stderr)\n    return 2 * x",
            True,
            "passed",
        ),
        ("def f(x):\n    while True:\n        pass", False, "time limit"),
        ("import os\ndef f(x):\n    os._exit(1)", False, "kernel exited"),
    ],
)
def test_checks_against_a_real_kernel(tmp_path, body, passed, status):
    verdict, nb = _grade_in_kernel(tmp_path, body)
    assert (verdict.passed, verdict.status) == (passed, status), verdict.message
    assert not any(o.output_type == "error" for o in nb.cells[2].get("outputs", [])), (
        "the cell after the grade cell did not run"
    )
    # each request's messages are deleted once answered: they would eat the kernel's disk quota
    assert sorted(p.name for p in (tmp_path / "channel").iterdir()) == ["agent.py"]


def test_proxy_cannot_be_sent_back():
    ns = namespace("def f(x):\n    return x")
    fn = LocalTransport(ns)
    with pytest.raises(TypeError):
        from grader.trusted import CheckSession

        session = CheckSession(fn)
        p = session.bind(["f"])[0]
        assert isinstance(p, Proxy)
        p(p)


def test_a_reply_that_is_a_fifo_or_inflates_is_refused(tmp_path):
    """Red team: a FIFO in place of a reply blocked the grader's reader forever, and a 3 MB
    npz that inflates to 3 GB took the grader's memory."""
    import os
    import zipfile

    from grader import agent
    fifo = tmp_path / "rep-1"
    (tmp_path / "rep-1.json").write_text("{}")
    os.mkfifo(tmp_path / "rep-1.npz")
    with pytest.raises(ValueError, match="regular file"):
        agent.read_message(fifo)
    bomb = tmp_path / "rep-2"
    (tmp_path / "rep-2.json").write_text("{}")
    big = np.zeros(20 << 20, dtype=np.uint8)   # 20 MB of zeros, a few kB compressed
    with zipfile.ZipFile(tmp_path / "rep-2.npz", "w", zipfile.ZIP_DEFLATED) as z, \
            z.open("x.npy", "w") as f:
        np.lib.format.write_array(f, big)
    assert (tmp_path / "rep-2.npz").stat().st_size < 1 << 20
    with pytest.raises(ValueError, match="more than"):
        agent.read_message(bomb, max_bytes=10 << 20)
    assert agent.read_message(bomb, max_bytes=30 << 20)[1]["x"].size == 20 << 20


def test_disk_usage_walks_a_tree_thousands_deep(tmp_path):
    """Red team: 1,100 nested folders crashed the recursive walk and, with it, the watchdog
    that enforces the memory and disk limits."""
    import os
    import subprocess

    from grader.execute import _disk_usage
    os.mkdir(tmp_path / "top")
    path = str(tmp_path / "top")
    for _ in range(1100):
        path = os.path.join(path, "d")
        os.mkdir(path)
    with open(os.path.join(path, "f"), "wb") as f:
        f.write(b"x" * 100_000)
    try:
        assert _disk_usage(tmp_path) >= 100_000
    finally:   # shutil.rmtree recurses too
        subprocess.run(["rm", "-rf", str(tmp_path / "top")], check=True)


def check_broadcast(fit):
    """The student's ``fit`` may call ``add``, a grader-side callable."""
    fit = with_reference_globals(fit, add=np.add)
    assert fit() is not None


def test_a_callback_on_shapes_the_kernel_chose_cannot_take_the_graders_memory():
    """Red team: the kernel asked a grader-side reference to broadcast (1, 15000) against
    (15000, 1): 1.8 GB in the grader's process. The callback's address space is capped, the
    allocation fails there, and the student's function gets the MemoryError."""
    import resource

    before = resource.getrlimit(resource.RLIMIT_AS)
    ns = namespace("def fit():\n    return add(np.ones((1, 15000)), np.ones((15000, 1))).shape")
    verdict = run_check(entry(check_broadcast, "fit"), LocalTransport(ns))
    assert not verdict.passed and "MemoryError" in verdict.message, verdict.message
    assert resource.getrlimit(resource.RLIMIT_AS) == before
    small = namespace("def fit():\n    return add(np.ones((1, 300)), np.ones((300, 1))).shape")
    assert run_check(entry(check_broadcast, "fit"), LocalTransport(small)).passed


def check_many_calls(f):
    for _ in range(40):
        f(np.zeros(3))


def test_the_transcript_stops_recording_past_its_budget(monkeypatch):
    """A student whose answers are large arrays, call after call, cannot fill the grader's
    memory through the transcript kept for the diagnosis: past TRANSCRIPT_BYTES it is dropped
    (the exercise is then not diagnosed) and the verdict is unchanged."""
    from grader import trusted

    monkeypatch.setattr(trusted, "TRANSCRIPT_BYTES", 10 << 20)
    big = run_check(entry(check_many_calls, "f"), LocalTransport(namespace(
        "def f(x):\n    return np.ones(1 << 17)")))     # 1 MB per answer, 40 answers
    small = run_check(entry(check_many_calls, "f"), LocalTransport(namespace(
        "def f(x):\n    return np.ones(4)")))
    assert big.passed and big.transcript is None
    assert small.passed and len(small.transcript) == 40
    assert not same_transcript(big.transcript, big.transcript)


def test_run_folders_thousands_deep_and_closed_are_removed(tmp_path):
    """Red team: 1,100 nested folders broke the kernel launcher's walk (the next kernel of that
    student could not start) and the removal of the run folder (left in /tmp). The launcher's
    walk and the removal go by a stack, and a folder the kernel closed (mode 000) is reopened."""
    import os

    from grader.sandbox import Plan, _give_kernel_folders, remove_tree, tree_entries
    run = tmp_path / "grader-run-x"
    path = str(run / "work")
    os.makedirs(path)
    for _ in range(1100):
        path = os.path.join(path, "d")
        os.mkdir(path)
    open(os.path.join(path, "f"), "w").close()
    os.chmod(os.path.dirname(path), 0)
    plan = Plan(run_dir=run, record=run / ".sandbox" / "k.json", cwd=run / "work", tmpfs_mb=32,
                uid=os.getuid())
    _give_kernel_folders(plan)
    assert sum(1 for _ in tree_entries(run)) >= 1100
    remove_tree(run)
    assert not run.exists()


def test_the_disk_quota_counts_empty_files():
    """Red team: 300,000 empty files took no bytes of the quota and slowed the watchdog's walk;
    each file now counts one block, and the walk stops once the quota is passed."""
    import tempfile

    from grader.execute import BLOCK, _disk_usage
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(3000):
            open(f"{tmp}/{i}", "w").close()
        assert _disk_usage(tmp) >= 3000 * BLOCK
        assert _disk_usage(tmp, stop_above=100 * BLOCK) <= 101 * BLOCK


def test_the_codec_refuses_what_would_run_or_allocate_in_the_grader(tmp_path):
    """Red team: a reply's scalar of dtype '(16000,16000)<f8' became a 1.9 GB array in the
    grader per node; an rng node named any function of np.random ('test' ran pytest in the
    grader); a 198 MB JSON reply took gigabytes to parse."""
    codec = agent.Codec({"a0": np.array(1.0)})
    for node in ({"t": "scalar", "dtype": "(3000,3000)<f8", "k": "a0"},
                 {"t": "dtype", "v": "(3000,3000)<f8"},
                 {"t": "dtype", "v": "O"},
                 {"t": "rng", "state": {"bit_generator": "test"}}):
        with pytest.raises(ValueError):
            codec.decode(node)
    assert codec.decode({"t": "scalar", "dtype": "<f4", "k": "a0"}).dtype == np.float32
    state = agent.Codec().encode(np.random.default_rng(3))
    assert codec.decode(state).random() == np.random.default_rng(3).random()

    agent.write_message(tmp_path / "rep-1", {"out": [{}] * (6 << 20)}, {})   # 24 MB of JSON
    with pytest.raises(ValueError, match="at most 16 MB"):
        agent.read_message(tmp_path / "rep-1")


def test_a_list_answer_has_the_dtype_numpy_gives_it():
    """Red team: float64 results returned with .tolist() passed a check that requires float32."""
    from grader.exercises.common import check_array as graded_check_array

    want = np.array([1.0, 2.0], np.float32)
    graded_check_array("w", want.copy(), want)
    for answer in ([1.0, 2.0], (1.0, 2.0), np.array([1.0, 2.0])):
        with pytest.raises(AssertionError, match="dtype float64"):
            graded_check_array("w", answer, want)
    graded_check_array("w", [1.0, 2.0], want.astype(np.float64))


def test_run_folders_of_dead_workers_are_removed():
    """Red team: a worker killed mid-notebook left its run folder (the student's notebook) in
    /tmp; the next job of any worker removes folders whose process is gone."""
    import subprocess
    import tempfile
    from pathlib import Path

    from grader.worker import _remove_abandoned_runs
    dead = subprocess.Popen(["true"])
    dead.wait()
    gone = Path(tempfile.mkdtemp(prefix=f"grader-run-{dead.pid}-"))
    mine = Path(tempfile.mkdtemp(prefix=f"grader-run-{os.getpid()}-"))
    (gone / "work").mkdir()
    try:
        _remove_abandoned_runs()
        assert not gone.exists() and mine.exists()
    finally:
        mine.rmdir()


@pytest.mark.slow
def test_an_error_message_is_shortened_like_any_output(tmp_path):
    """First red team: the output cap ignored error messages (a 560 MB autograded notebook)."""
    nb = _kernel_notebook("def f(x):\n    return 2 * x")
    nb.cells[2].source = "raise ValueError('x' * 50_000_000)"
    (tmp_path / "home").mkdir()
    executed, _ = execute_notebook(nb, tmp_path, config.Limits(cell_timeout=60, notebook_timeout=120),
                                   kernel_env(tmp_path / "home"))
    error = executed.cells[2].outputs[-1]
    assert error.output_type == "error" and error.ename == "ValueError"
    assert len(json.dumps(error)) < 100_000
