"""Kernel launcher: apply limits, hide the instructor's folders, then become the IPython kernel.

Used as ``python -m grader.kernel <address_space_mb> [--hide DIR ...] -- <kernel command...>``.
Everything is set up in this process and survives ``exec``, so the student's kernel (and
anything it forks) cannot undo it:

* RLIMIT_AS caps the address space (a huge allocation fails with MemoryError instead of
  swapping the machine); RLIMIT_CORE=0 avoids core dumps;
* where Linux allows unprivileged user namespaces, the kernel gets its own mount namespace in
  which each ``--hide`` folder (the grading work directory with the gradebook and everybody's
  submissions, ``solutions/``, ``.git``) is covered by an empty read-only tmpfs. Nothing changes
  outside the kernel; if namespaces are not available the kernel runs without this layer.
"""
from __future__ import annotations

import ctypes
import os
import resource
import sys

CLONE_NEWNS, CLONE_NEWUSER = 0x00020000, 0x10000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REC, MS_PRIVATE = 0x1, 0x2, 0x4, 0x4000, 0x40000


def hide_folders(folders: list[str]) -> bool:
    """Enter new user and mount namespaces and cover ``folders`` with empty tmpfs mounts.
    Returns False (changing nothing visible) when the OS does not allow it."""
    if not folders or not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    uid, gid = os.getuid(), os.getgid()
    if libc.unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0:
        return False
    try:
        with open("/proc/self/setgroups", "w") as f:
            f.write("deny")
        with open("/proc/self/uid_map", "w") as f:
            f.write(f"{uid} {uid} 1")
        with open("/proc/self/gid_map", "w") as f:
            f.write(f"{gid} {gid} 1")
    except OSError:
        return False
    if libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) != 0:
        return False
    hidden = True
    for folder in folders:
        if os.path.isdir(folder):
            flags = MS_RDONLY | MS_NOSUID | MS_NODEV
            if libc.mount(b"tmpfs", os.fsencode(folder), b"tmpfs", flags, b"size=16k,mode=0555") != 0:
                hidden = False
    return hidden


def main(argv: list[str]) -> None:
    mb = int(argv[0])
    split = argv.index("--")
    options, cmd = argv[1:split], argv[split + 1:]
    hide = [options[i + 1] for i, o in enumerate(options) if o == "--hide"]
    if mb > 0:
        limit = mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    hide_folders(hide)
    os.execv(cmd[0], cmd)


if __name__ == "__main__":
    main(sys.argv[1:])
