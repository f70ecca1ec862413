"""Kernel launcher: apply the limits, enter the sandbox, then become the IPython kernel.

Used as ``python -m grader.kernel <spec> -- <kernel command...>``, where ``<spec>`` is the JSON
that ``grader.sandbox.launcher_spec`` builds (the grader starts it with :func:`launcher_command`).
Everything is set up in this process and survives ``exec``, so the student's kernel (and anything
it forks) cannot undo it:

* the kernel is killed when the process that started it (the grading worker) dies, from the
  first instant on: PR_SET_PDEATHSIG survives ``exec``, and bubblewrap passes it on into the
  sandbox (``--die-with-parent``), so no sandbox outlives a killed grader;
* resource limits, soft = hard: RLIMIT_AS caps the address space (a huge allocation fails with
  MemoryError instead of swapping the machine), RLIMIT_FSIZE the size of a file, RLIMIT_NOFILE
  the open files, RLIMIT_NPROC the processes, and RLIMIT_CORE=0 avoids core dumps;
* with a ``sandbox`` entry, ``grader.sandbox.enter`` replaces this process by bubblewrap
  running the kernel in its sandbox (or, where none can be had, runs it without one and
  records why).

Standard library only.
"""
from __future__ import annotations

import ctypes
import json
import os
import resource
import signal
import sys
from pathlib import Path

from . import sandbox

MB = 1 << 20
PR_SET_PDEATHSIG = 1
PACKAGE_PARENT = Path(__file__).resolve().parent.parent


def launcher_command(spec: dict) -> list[str]:
    """The command that runs :func:`main` with ``spec``, the kernel's command to append. This
    Python, isolated from the environment (``-I``) and without ``site`` (``-S``): the launcher
    needs only the standard library and this package, and ``site`` (the virtual environment's
    path hooks) took a third of its start-up, paid once per kernel."""
    boot = (f"import sys; sys.path.insert(0, {str(PACKAGE_PARENT)!r}); "
            "from grader.kernel import main; main(sys.argv[1:])")
    return [sys.executable, "-I", "-S", "-c", boot, json.dumps(spec), "--"]


def die_with_parent() -> None:
    """Be killed (SIGKILL) when the parent dies, and exit now if it already has: jupyter_client
    names the parent in JPY_PARENT_PID."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    parent = os.environ.get("JPY_PARENT_PID")
    if parent and parent.isdigit() and os.getppid() != int(parent):
        os._exit(1)


def _threads_of(uid: int) -> int:
    """How many processes and threads ``uid`` runs now (what RLIMIT_NPROC counts)."""
    count = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            status = Path(entry.path, "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if int(fields["Uid"].split()[0]) == uid:
            count += int(fields["Threads"])
    return count


def _limit(which: int, value: int) -> None:
    """Set soft and hard limit to ``value`` (never above the hard limit already in force)."""
    hard = resource.getrlimit(which)[1]
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(which, (value, value))


def apply_rlimits(limits: dict, own_uid: bool) -> None:
    """Apply the ``rlimits`` of a launcher spec to this process. RLIMIT_NPROC counts every
    process of the real user: with a user id of the kernel's own (``own_uid``) the limit is
    taken as it is, otherwise it is added to what this user already runs."""
    if limits.get("address_space_mb"):
        _limit(resource.RLIMIT_AS, limits["address_space_mb"] * MB)
    if limits.get("file_size_mb"):
        _limit(resource.RLIMIT_FSIZE, limits["file_size_mb"] * MB)
    if limits.get("open_files"):
        _limit(resource.RLIMIT_NOFILE, limits["open_files"])
    if limits.get("processes"):
        others = 0 if own_uid else _threads_of(os.getuid())
        _limit(resource.RLIMIT_NPROC, others + limits["processes"])
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def main(argv: list[str]) -> None:
    die_with_parent()
    split = argv.index("--")
    spec, cmd = json.loads(argv[0]), argv[split + 1:]
    box = spec.get("sandbox")
    plan = sandbox.plan(box, dict(os.environ)) if box else None
    apply_rlimits(spec.get("rlimits", {}), own_uid=bool(plan and plan.problem is None and plan.uid))
    if plan is None:
        os.execv(cmd[0], cmd)
    sandbox.enter(plan, cmd, dict(os.environ))


if __name__ == "__main__":
    main(sys.argv[1:])
