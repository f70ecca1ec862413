"""The Dask engine (grader/cluster.py): a worker that dies, stops or wedges costs only the
submission it holds, infrastructure failures are retried once, and nothing outlives the run."""
import socket
import types

import cluster_tasks
import psutil
import pytest

from grader import __main__ as cli
from grader import cluster, config, worker


def grade(jobs, n_workers=2, time_limit=60.0):
    results, problems = {}, {}
    with cluster.connect(n_workers, None, memory_mb=100) as client:
        cluster.run(client, list(jobs), lambda item: dict(jobs[item]), results.__setitem__,
                    problems.__setitem__, time_limit, 100, task=cluster_tasks.task)
    return results, problems


def named(*names, **extra):
    return {n: {"name": n, "sleep": 0.2, **extra} for n in names}


def test_every_job_is_answered_by_some_worker():
    results, problems = grade(named(*"abcdef"))
    assert not problems
    assert {k: v["name"] for k, v in results.items()} == {k: k for k in "abcdef"}
    assert len({v["pid"] for v in results.values()}) == 2   # two long-lived workers


def test_a_notebook_that_kills_its_worker_twice_keeps_what_it_completed():
    jobs = {**named("a", "b", "c"), "killer": {"name": "killer", "then": "kill",
                                               "decided": ["test_one"]}}
    results, problems = grade(jobs)
    assert not problems and {k: v["name"] for k, v in results.items() if k != "killer"} == {
        k: k for k in "abc"}
    lost = results["killer"]
    assert "died" in lost["lost"] and "KilledWorker" in lost["lost"], lost
    assert set(lost["verdicts"]) == {"test_one"} and lost["nb"] is None


def test_a_worker_killed_once_is_retried_elsewhere(tmp_path):
    jobs = {**named("a", "b"), "flaky": {"name": "flaky", "then": "die_once",
                                         "marker": str(tmp_path / "died")}}
    results, problems = grade(jobs)
    assert not problems and "lost" not in results["flaky"] and results["flaky"]["name"] == "flaky"
    assert (tmp_path / "died").exists()


def test_a_task_that_raises_is_retried_once(tmp_path):
    jobs = {**named("a"), "once": {"name": "once", "then": "raise_once",
                                   "marker": str(tmp_path / "raised")},
            "always": {"name": "always", "then": "raise"}}
    results, problems = grade(jobs)
    assert set(results) == {"a", "once"} and set(problems) == {"always"}
    assert "RuntimeError: grader bug on always" in problems["always"]


def test_a_stopped_worker_is_killed_and_the_others_finish(monkeypatch):
    monkeypatch.setattr(cluster, "STOPPED_GRACE", 3.0)
    jobs = {**named("a", "b", "c"), "stopper": {"name": "stopper", "then": "stop"}}
    results, problems = grade(jobs)
    assert not problems and all("lost" not in results[k] for k in "abc"), results
    assert "did not respond" in results["stopper"]["lost"], results["stopper"]


def test_a_wedged_worker_is_killed_after_its_time(monkeypatch):
    monkeypatch.setattr(cluster, "WEDGED_FACTOR", 1.0)
    jobs = {**named("a", "b"), "slow": {"name": "slow", "then": "wedge"}}
    results, problems = grade(jobs, time_limit=3.0)
    assert not problems and all("lost" not in results[k] for k in "ab")
    assert "still running after" in results["slow"]["lost"], results["slow"]


def test_no_worker_outlives_the_run():
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    grade({**named("a"), "killer": {"name": "killer", "then": "kill"}})
    left = [p for p in psutil.Process().children(recursive=True)
            if p.pid not in before and p.is_running() and p.status() != psutil.STATUS_ZOMBIE
            and "resource_tracker" not in " ".join(p.cmdline())]
    assert not left, [p.cmdline() for p in left]


def test_a_worker_refuses_a_job_of_another_version():
    name, source = config.source_entry("01_linear_regression")
    job = {"assignment": "01_linear_regression", "source_name": name,
           "source_nb": source.decode(), "version": config.version_hash("01_linear_regression")}
    worker.check_version(job)   # the same installation: accepted
    with pytest.raises(worker.VersionMismatch, match=r"pip install -e '\.\[grader\]'"):
        worker.check_version({**job, "version": "0123456789abcdef"})
    with pytest.raises(worker.VersionMismatch, match="restart its dask worker"):
        worker.check_version({**job, "source_nb": job["source_nb"] + " "})


def test_an_unreachable_scheduler_is_a_one_line_error(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", 2.0)
    with socket.socket() as s:   # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{s.getsockname()[1]}"
    subs = tmp_path / "subs" / "erin" / "01_linear_regression"
    subs.mkdir(parents=True)
    (subs / "01_linear_regression.ipynb").write_text(
        (config.ASSIGNMENTS / "01_linear_regression" / "01_linear_regression.ipynb").read_text())
    rc = cli.main(["--workdir", str(tmp_path / "w"), "autograde", "01_linear_regression",
                   str(tmp_path / "subs"), "--scheduler", address, "--no-progress"])
    err = capsys.readouterr().err.strip()
    assert rc == 1 and len(err.splitlines()) == 1, err
    assert address in err and "check that dask scheduler runs there" in err


@pytest.mark.parametrize("cpus, total_gb, memory_mb, expected", [
    (2, 24, 2048, 3),     # one notebook more than the cores
    (8, 24, 2048, 9),
    (8, 6, 2048, 3),      # as many as the memory holds
    (2, 1, 2048, 1),      # at least one
    (2, 24, 0, 3),        # no memory limit: the CPUs decide
])
def test_the_default_jobs_are_one_more_than_the_cpus_as_memory_allows(monkeypatch, cpus, total_gb,
                                                                        memory_mb, expected):
    monkeypatch.setattr(cluster.os, "cpu_count", lambda: cpus)
    monkeypatch.setattr(cluster.psutil, "virtual_memory",
                        lambda: types.SimpleNamespace(total=total_gb << 30))
    assert cluster.default_jobs(memory_mb) == expected
