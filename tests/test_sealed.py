"""Sealed grading: the verdict comes from replaying recorded values outside the kernel."""
import json
from pathlib import Path

import numpy as np
import pytest

from course.checks import check_array
from grader.hidden import sealed
from grader.hidden.common import with_reference_globals


def reference_scale(x, factor):
    return factor * x


def check_scale(scale_fn):
    """A toy hidden check: scale_fn(x, 3.0) must equal 3x on two hidden inputs."""
    for x in (np.arange(6.0).reshape(2, 3), np.linspace(-1, 1, 5)):
        check_array("scaled", scale_fn(x.copy(), 3.0), reference_scale(x, 3.0))


def check_update(update_fn):
    """update_fn(w, config) returns w - 1 and sets config['t'] in place."""
    w, config = np.ones(3), {}
    new_w = update_fn(w, config)
    check_array("w", new_w, np.zeros(3))
    check_array("t", np.array(config.get("t", -1)), np.array(1))


def check_batches(iterate):
    """iterate(n) yields n arrays [0], [1], ..."""
    got = [int(b[0]) for b in iterate(4)]
    check_array("batches", np.array(got), np.arange(4))


def record(check, tmp_path, *args, **kwargs):
    """Run a check the way a sealed kernel does; return the stem of its record."""
    decorated = sealed.hidden_check(check)
    tmp_path.mkdir(exist_ok=True)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(sealed.ENV_VAR, str(tmp_path))
        try:
            decorated(*args, **kwargs)
        except Exception:  # the kernel's own verdict does not count
            pass
    return tmp_path / f"{decorated.__module__}.{check.__name__}"


def test_correct_function_passes_on_replay(tmp_path):
    stem = record(check_scale, tmp_path, lambda x, f: f * x)
    sealed.replay_check(check_scale, stem, 1)


def test_wrong_function_fails_on_replay(tmp_path):
    stem = record(check_scale, tmp_path, lambda x, f: f * x + 1)
    with pytest.raises(AssertionError, match="scaled"):
        sealed.replay_check(check_scale, stem, 1)


def test_tampered_kernel_check_does_not_change_the_verdict(tmp_path):
    """Inside the kernel the student neutered the check; outside it still fails."""
    def neutered_check_scale(scale_fn):
        scale_fn(np.arange(6.0).reshape(2, 3), 3.0)
        scale_fn(np.linspace(-1, 1, 5), 3.0)
    neutered_check_scale.__name__ = "check_scale"
    stem = record(neutered_check_scale, tmp_path, lambda x, f: 2 * x)
    with pytest.raises(AssertionError, match="0.6667 times"):
        sealed.replay_check(check_scale, stem, 1)


def test_missing_record_earns_nothing(tmp_path):
    with pytest.raises(AssertionError, match="no usable record"):
        sealed.replay_check(check_scale, tmp_path / "nothing", 1)


def test_records_are_plain_json_and_arrays(tmp_path):
    stem = record(check_scale, tmp_path, lambda x, f: f * x)
    json.loads(Path(f"{stem}.json").read_text())
    with np.load(f"{stem}.npz", allow_pickle=False) as npz:
        assert all(npz[k].dtype != object for k in npz.files)


def test_lying_array_subclass_is_recorded_as_plain_values(tmp_path):
    class AlwaysEqual(np.ndarray):
        def __eq__(self, other):
            return np.ones(np.shape(self), dtype=bool)
    stem = record(check_scale, tmp_path, lambda x, f: np.zeros_like(x).view(AlwaysEqual))
    with pytest.raises(AssertionError):
        sealed.replay_check(check_scale, stem, 1)


def test_in_place_changes_to_arguments_are_replayed(tmp_path):
    def update(w, config):
        config["t"] = config.get("t", 0) + 1
        return w - 1
    sealed.replay_check(check_update, record(check_update, tmp_path, update), 1)

    def forgets_state(w, config):
        return w - 1
    with pytest.raises(AssertionError, match="t"):
        sealed.replay_check(check_update, record(check_update, tmp_path / "b", forgets_state), 1)


def test_generators_are_replayed(tmp_path):
    def iterate(n):
        for i in range(n):
            yield np.array([i])
    sealed.replay_check(check_batches, record(check_batches, tmp_path, iterate), 1)


def test_student_exception_is_a_failure_on_replay(tmp_path):
    def broken(x, f):
        raise NotImplementedError()
    with pytest.raises(AssertionError, match="NotImplementedError"):
        sealed.replay_check(check_scale, record(check_scale, tmp_path, broken), 1)


def test_reference_globals_keep_recording(tmp_path):
    """A check that isolates the student's function still records through the clone."""
    notebook = {}
    exec("def helper(x):\n    return x * 100\n"          # a broken earlier exercise
         "def scale(x, f):\n    return helper(x) * f\n", notebook)

    def check_isolated(scale_fn):
        iso = with_reference_globals(scale_fn, helper=lambda x: x)
        check_array("scaled", iso(np.ones(2), 3.0), np.full(2, 3.0))
    sealed.replay_check(check_isolated, record(check_isolated, tmp_path, notebook["scale"]), 1)


def test_hidden_calls_are_read_from_the_source():
    source = ('"""doc"""\ncheck_array("a", 1, 1)\n### BEGIN HIDDEN TESTS\n'
              "from grader.exercises import nb01\nnb01.check_predict(predict)\n"
              "nb01.check_loss(mse, rtol=1)\n### END HIDDEN TESTS\n")
    assert sealed.hidden_calls(source) == [
        ("grader.exercises.nb01", "check_predict", 1, ()),
        ("grader.exercises.nb01", "check_loss", 1, ("rtol",)),
    ]
