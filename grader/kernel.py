"""Kernel launcher: apply limits, hide the instructor's files, then become the IPython kernel.

Used as ``python -m grader.kernel <address_space_mb> [--workdir W] [--run-dir R] [--keep K ...]
-- <kernel command...>``. Everything is set up in this process and survives ``exec``, so the
student's kernel (and anything it forks) cannot undo it:

* RLIMIT_AS caps the address space (a huge allocation fails with MemoryError instead of
  swapping the machine); RLIMIT_CORE=0 avoids core dumps;
* with ``--run-dir``, ``grader.sandbox.isolate`` gives the kernel a private mount namespace
  (where Linux allows it without root) in which the work directory's submissions, results and
  gradebook, ``solutions/``, ``grader/bugs/``, ``.git`` and the other kernels' temp folders are
  hidden. It writes ``isolated`` (``1`` or ``0``) into the run folder so the grader can report
  whether that layer was in place.
"""
from __future__ import annotations

import os
import resource
import sys
from pathlib import Path


def _options(options: list[str]) -> dict:
    out = {"--workdir": None, "--run-dir": None, "--keep": []}
    for flag, value in zip(options[::2], options[1::2]):
        if flag == "--keep":
            out["--keep"].append(value)
        else:
            out[flag] = value
    return out


def main(argv: list[str]) -> None:
    mb = int(argv[0])
    split = argv.index("--")
    opts, cmd = _options(argv[1:split]), argv[split + 1:]
    if mb > 0:
        limit = mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if opts["--run-dir"]:
        from grader.sandbox import isolate

        try:
            ok = isolate(Path(opts["--workdir"]) if opts["--workdir"] else None, Path(opts["--run-dir"]),
                         [Path(k) for k in opts["--keep"]])
        except Exception:   # never keep a kernel from starting; report it instead
            ok = False
        try:
            (Path(opts["--run-dir"]) / "isolated").write_text("1" if ok else "0")
        except OSError:
            pass
    os.execv(cmd[0], cmd)


if __name__ == "__main__":
    main(sys.argv[1:])
