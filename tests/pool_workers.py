"""Worker loops for tests/test_pool.py: each job says what its worker does (importable by the
fork server, which is why this is a module and not part of the test file)."""
import os
import signal
import time


def serve(conn, parent_pid):
    """``job``: {"name", "sleep", "then"}: then "ok" answers, "kill" dies, "stop" stops itself,
    "die_once" dies unless a marker file says it died before."""
    while (job := conn.recv()) is not None:
        time.sleep(job.get("sleep", 0.0))
        then = job.get("then", "ok")
        if then == "die_once" and not os.path.exists(job["marker"]):
            open(job["marker"], "w").close()
            then = "kill"
        if then == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        if then == "stop":
            os.kill(os.getpid(), signal.SIGSTOP)
        if then == "wedge":
            time.sleep(3600)
        conn.send({"name": job["name"], "pid": os.getpid()})
