"""Hide the instructor's files from a student kernel with a private mount namespace.

Linux only, and only where the kernel lets this process create a mount namespace: as root, or
as an ordinary user when unprivileged user namespaces are enabled. Called by the kernel launcher
(``grader.kernel``) before it becomes the IPython kernel, so everything the student runs,
including subprocesses, sees:

- an empty read-only directory in place of ``solutions/``, ``grader/bugs/`` and ``.git`` of this
  repository and in place of each hidden path of the grading directory (submissions, autograded
  copies, results, feedback, the source notebooks), and ``/dev/null`` in place of the gradebook;
- a fresh temporary directory in place of the system's temp dir, with only this kernel's own run
  folder mounted back, so parallel workers cannot see each other's submissions.

What stays visible: everything else the user can read (``course/``, ``grader/hidden/`` that the
hidden tests import, the MNIST cache, other world-readable files). Returns False, changing
nothing, where namespaces are unavailable; the caller records that in the grade report.
"""
from __future__ import annotations

import ctypes
import os
import sys
from pathlib import Path

CLONE_NEWNS, CLONE_NEWUSER = 0x00020000, 0x10000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 4096, 16384, 1 << 18
REPO = Path(__file__).resolve().parents[1]
REPO_HIDDEN = ("solutions", "grader/bugs", ".git")
SYSTEM_TMP_DIRS = ("/tmp", "/var/tmp")
WORK_HIDDEN = ("submitted", "autograded", "results", "feedback", "source", "release", "gradebook.db")


def _libc():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong,
                           ctypes.c_char_p]
    return libc


def _mount(libc, source, target, fstype, flags, data=None) -> None:
    enc = (lambda s: None if s is None else os.fsencode(str(s)))
    if libc.mount(enc(source), enc(target), enc(fstype), flags, enc(data)) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount {target}: {os.strerror(err)}")


def _enter_namespace(libc) -> bool:
    uid, gid = os.geteuid(), os.getegid()
    if uid == 0:
        return libc.unshare(CLONE_NEWNS) == 0
    if libc.unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0:
        return False
    Path("/proc/self/setgroups").write_text("deny")
    Path("/proc/self/uid_map").write_text(f"{uid} {uid} 1")
    Path("/proc/self/gid_map").write_text(f"{gid} {gid} 1")
    return True


def _hide(libc, path: Path) -> None:
    if path.is_dir():
        _mount(libc, "tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV, "size=4k,mode=0555")
    elif path.exists():
        _mount(libc, "/dev/null", path, None, MS_BIND)


def isolate(workdir: Path | None, run_dir: Path | None, keep=()) -> bool:
    """Enter a private mount namespace and hide the instructor's files (see module docstring).

    Parameters
    ----------
    workdir : Path or None
        The instructor's grading directory.
    run_dir : Path or None
        This kernel's own temporary folder (working dir, HOME, sealed records). When it lies
        directly in ``/tmp`` or ``/var/tmp``, that folder is replaced by an empty one with only
        ``run_dir`` kept.
    keep : iterable of Path
        Folders inside that temp dir to keep as well (the matplotlib and data caches).

    Returns
    -------
    bool
        True when isolation is in place, False when this system does not allow it.
    """
    if not sys.platform.startswith("linux"):
        return False
    libc = _libc()
    try:
        if not _enter_namespace(libc):
            return False
        _mount(libc, None, "/", None, MS_REC | MS_PRIVATE)
    except OSError:
        return False
    if run_dir is not None:
        # the code the kernel runs (this repository, its virtual environment) stays visible
        # even when it lies in the temp dir, as in a CI checkout under /tmp
        code = [REPO, Path(sys.prefix), Path(sys.base_prefix)]
        caches = [Path(os.environ[v]) for v in ("MPLCONFIGDIR", "COURSE_DATA_DIR") if os.environ.get(v)]
        caches += [Path(p) for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
        keep = [*keep, *caches]
        _replace_tmp(libc, Path(run_dir).resolve(), [Path(k).resolve() for k in [*keep, *code]])
    hidden = [REPO / p for p in REPO_HIDDEN]
    if workdir is not None:
        hidden += [Path(workdir) / p for p in WORK_HIDDEN]
    for path in hidden:
        _hide(libc, path)
    return True


def _replace_tmp(libc, run_dir: Path, keep: list[Path]) -> None:
    """Mount an empty tmpfs over the temp dir holding ``run_dir``, then bind back ``run_dir``
    and the ``keep`` folders that lie inside it (caches the kernel reads)."""
    tmp_root = run_dir.parent
    if str(tmp_root) not in SYSTEM_TMP_DIRS:
        return
    kept = [p for p in [run_dir, *keep] if p.is_dir() and tmp_root in p.parents]
    handles = [os.open(p, os.O_PATH) for p in kept]
    try:
        _mount(libc, "tmpfs", tmp_root, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777")
        for path, fd in zip(kept, handles):
            path.mkdir(parents=True, exist_ok=True)
            _mount(libc, f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
    finally:
        for fd in handles:
            os.close(fd)
