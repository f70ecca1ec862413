"""Tasks for tests/test_cluster.py: each job says what its worker does (a module, so that the
Dask workers can import the task the tests submit)."""
import os
import signal
import time

from grader.cluster import report_verdict


def task(job):
    """``job``: {"name", "sleep", "decided", "then"}: reports a verdict for each exercise in
    ``decided``, then "ok" answers, "kill" kills its worker, "stop" stops it, "wedge" hangs,
    "raise" raises; "die_once" and "raise_once" do so unless a marker file says they did."""
    time.sleep(job.get("sleep", 0.0))
    for grade_id in job.get("decided", []):
        report_verdict(job["key"], grade_id, {"passed": True, "message": "", "status": "passed"})
    then = job.get("then", "ok")
    if then.endswith("_once"):
        then = "ok" if os.path.exists(job["marker"]) else then[: -len("_once")]
        open(job["marker"], "a").close()
    if then == "die":
        then = "kill"
    if then == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if then == "stop":
        os.kill(os.getpid(), signal.SIGSTOP)
    if then == "wedge":
        time.sleep(3600)
    if then == "raise":
        raise RuntimeError(f"grader bug on {job['name']}")
    return {"name": job["name"], "pid": os.getpid()}
