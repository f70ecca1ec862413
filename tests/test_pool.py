"""The grading pool: a worker that dies, stops or wedges costs only the submission it holds."""
import pool_workers
import psutil

from grader import pool


def grade(jobs, n_workers=2, time_limit=60.0):
    results, problems = {}, {}
    pool.run(list(jobs), n_workers, lambda item: jobs[item], results.__setitem__,
             problems.__setitem__, time_limit, serve=pool_workers.serve)
    return results, problems


def named(*names, **extra):
    return {n: {"name": n, "sleep": 0.2, **extra} for n in names}


def test_every_job_is_answered_by_some_worker():
    results, problems = grade(named(*"abcdef"))
    assert not problems
    assert {k: v["name"] for k, v in results.items()} == {k: k for k in "abcdef"}
    assert len({v["pid"] for v in results.values()}) == 2   # two long-lived workers


def test_a_killed_worker_costs_only_its_submission():
    jobs = {**named("a", "b", "c", "d"), "killer": {"name": "killer", "then": "kill"}}
    results, problems = grade(jobs)
    assert set(results) == {"a", "b", "c", "d"}
    assert set(problems) == {"killer"}
    assert "died twice (signal 9)" in problems["killer"], problems


def test_a_worker_killed_once_is_retried(tmp_path):
    jobs = {**named("a", "b"), "flaky": {"name": "flaky", "then": "die_once",
                                         "marker": str(tmp_path / "died")}}
    results, problems = grade(jobs)
    assert not problems and set(results) == {"a", "b", "flaky"}
    assert (tmp_path / "died").exists()


def test_a_stopped_worker_is_killed_and_the_others_finish(monkeypatch):
    monkeypatch.setattr(pool, "STOPPED_GRACE", 2.0)
    jobs = {**named("a", "b", "c"), "stopper": {"name": "stopper", "then": "stop"}}
    results, problems = grade(jobs)
    assert set(results) == {"a", "b", "c"} and set(problems) == {"stopper"}
    assert "stopped (SIGSTOP)" in problems["stopper"] and "not graded" in problems["stopper"]


def test_a_wedged_worker_is_killed_after_its_time(monkeypatch):
    monkeypatch.setattr(pool, "WEDGED_FACTOR", 1.0)
    jobs = {**named("a", "b"), "slow": {"name": "slow", "then": "wedge"}}
    results, problems = grade(jobs, time_limit=3.0)
    assert set(results) == {"a", "b"} and set(problems) == {"slow"}
    assert "still running after" in problems["slow"]


def test_no_worker_outlives_the_run():
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    grade({**named("a"), "stopper": {"name": "stopper", "then": "kill"}})
    left = [p for p in psutil.Process().children(recursive=True)
            if p.pid not in before and p.is_running() and p.status() != psutil.STATUS_ZOMBIE
            and "forkserver" not in " ".join(p.cmdline())]
    assert not left, [p.cmdline() for p in left]
