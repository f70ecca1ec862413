"""The first code that runs in a kernel's sandbox: record what is in force, then become the kernel.

``grader.sandbox`` runs this file's source with ``python -I -S -c <source> <fd> <context> -- <kernel
command...>`` as the sandboxed command, after bubblewrap (and, as root, ``setpriv``) set
everything up and before any student code exists. It writes one JSON object to the file
descriptor ``fd`` (a file outside the kernel's writable view, opened by the launcher), closes
it, and ``exec``s the kernel. Every value is read from the running process (``/proc/self``,
``getrlimit``, ``statvfs``), so the record shows what was applied rather than what was asked.
Without a sandbox the launcher calls :func:`record` itself, so the record has the same form.
The one thing the inside cannot know is its user id on the host (nested user namespaces map
it through ids the sandbox cannot see): the grader adds that (``grader.sandbox.note_started``).

Standard library only: it runs with ``-S`` in whatever the sandbox shows.
"""
from __future__ import annotations

import ctypes
import json
import os
import resource
import shutil
import sys

MB = 1 << 20
NAMESPACES = ("cgroup", "ipc", "mnt", "net", "pid", "user", "uts")
RLIMITS = {"address_space_mb": (resource.RLIMIT_AS, MB),
           "file_size_mb": (resource.RLIMIT_FSIZE, MB),
           "open_files": (resource.RLIMIT_NOFILE, 1),
           "processes": (resource.RLIMIT_NPROC, 1),
           "core_dump_mb": (resource.RLIMIT_CORE, MB)}
NOT_WRITABLE_TYPES = {"proc", "sysfs", "devpts", "devtmpfs", "mqueue", "cgroup", "cgroup2"}
CLONE_NEWUSER = 0x10000000


def namespaces() -> dict:
    """This process's namespace ids, e.g. ``{"pid": "pid:[4026531836]", ...}``."""
    ids = {}
    for name in NAMESPACES:
        try:
            ids[name] = os.readlink(f"/proc/self/ns/{name}")
        except OSError:
            pass
    return ids


def _status() -> dict:
    with open("/proc/self/status") as f:
        return dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)


def _interfaces() -> list[str]:
    with open("/proc/net/dev") as f:
        return [line.split(":")[0].strip() for line in f.readlines()[2:]]


def can_create_user_namespace() -> bool:
    """Whether a child of this process may create a user namespace (and in it mount a tmpfs
    that no limit here covers)."""
    pid = os.fork()
    if pid == 0:
        libc = ctypes.CDLL(None, use_errno=True)
        os._exit(0 if libc.unshare(CLONE_NEWUSER) == 0 else 1)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0


def _rlimits(real_uid: int) -> dict:
    out = {}
    for name, (which, unit) in RLIMITS.items():
        soft = resource.getrlimit(which)[0]
        out[name] = None if soft == resource.RLIM_INFINITY else soft // unit
    if real_uid == 0:
        out["processes"] = None   # Linux does not apply RLIMIT_NPROC to root
    return out


def _mounts() -> list[tuple[str, str, bool]]:
    """(mount point, filesystem type, writable) of every mount in view."""
    out = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            sep = fields.index("-")
            point = fields[4].replace("\\040", " ")
            out.append((point, fields[sep + 1], "rw" in fields[5].split(",")))
    return out


def _tmpfs_mb(mounts, point: str):
    if not any(p == point and kind == "tmpfs" for p, kind, _ in mounts):
        return None
    st = os.statvfs(point)
    return st.f_blocks * st.f_frsize // MB


def facts(context: dict) -> dict:
    """What is in force for this process, with the launcher's ``context`` (the sandbox's name
    or the reason there is none, the host's namespace ids, whether the uid is the kernel's own)."""
    status = _status()
    uid = int(status["Uid"].split()[0])
    host = context.get("host_namespaces", {})
    mounts = _mounts()
    return {
        "sandbox": context.get("sandbox"),
        "variant": context.get("variant"),   # which of the sandbox's command lines (0: strongest)
        "reason": context.get("reason"),
        "own_uid": bool(context.get("own_uid")),
        "namespaces": sorted(n for n, i in namespaces().items() if n in host and host[n] != i),
        "network": any(name != "lo" for name in _interfaces()),
        "user_namespaces": can_create_user_namespace(),
        "capabilities": status.get("CapEff", "").strip(),
        "no_new_privs": status.get("NoNewPrivs", "0").strip() == "1",
        "rlimits": _rlimits(uid),
        "tmpfs_mb": {p: _tmpfs_mb(mounts, p) for p in ("/tmp", "/dev/shm")},
        "writable": sorted({p for p, kind, rw in mounts if rw and kind not in NOT_WRITABLE_TYPES}),
        "run_dir": context.get("run_dir"),
    }


def record(fd: int, context: dict) -> None:
    """Write :func:`facts` as JSON to ``fd`` and close it."""
    try:
        data = facts(context)
    except Exception as exc:  # noqa: BLE001 - say so rather than leave the kernel without a record
        data = {"sandbox": None, "reason": f"the sandbox probe failed: {type(exc).__name__}: {exc}"}
    with os.fdopen(fd, "w") as f:
        json.dump(data, f)


def own_matplotlib_cache(shared: str, own: str) -> None:
    """Start the kernel's own (writable) matplotlib cache from the shared font list, read-only
    here, so that matplotlib neither rebuilds the list nor warns about a read-only cache."""
    try:
        os.makedirs(own, exist_ok=True)
        for name in os.listdir(shared):
            if name.startswith("fontlist-") and name.endswith(".json"):
                shutil.copyfile(os.path.join(shared, name), os.path.join(own, name))
    except OSError:
        return   # matplotlib makes do without: slower, never wrong
    os.environ["MPLCONFIGDIR"] = own


def main(argv: list[str]) -> None:
    split = argv.index("--")
    context = json.loads(argv[1])
    os.chdir(context["cwd"])   # here, not in bwrap: as root, bwrap has no right to enter it
    if context.get("matplotlib"):
        own_matplotlib_cache(*context["matplotlib"])
    record(int(argv[0]), context)
    cmd = argv[split + 1:]
    os.execv(cmd[0], cmd)


if __name__ == "__main__":
    main(sys.argv[1:])
