"""The grading kernel's sandbox, built with bubblewrap (``bwrap``).

The kernel launcher (``grader.kernel``) calls :func:`enter`, which replaces the launcher by
bubblewrap running the kernel in:

- new PID, IPC, network, UTS, cgroup and mount namespaces (``--die-with-parent``,
  ``--new-session``): the kernel sees only its own processes, has no network but a loopback of
  its own (it talks to the grader over Unix sockets in its run folder, jupyter_client's ``ipc``
  transport), and everything it started dies with the sandbox;
- a user id that is not root on the host. As root, bwrap sets the sandbox up with root's right
  to read the Python installation wherever it lies (e.g. under ``/root``), then ``setpriv``
  switches to a user id of this kernel's own (:data:`UID_BASE` + the launcher's pid, so that
  RLIMIT_NPROC counts this kernel alone) with no capabilities, and a second, unprivileged bwrap
  adds a user namespace in which no further user namespace can be created (``--disable-userns``;
  one would let the kernel mount a tmpfs no limit covers). As an ordinary user, one unprivileged
  bwrap does it all, and the kernel keeps that user's id;
- a read-only view of only what it needs: ``/usr`` (and the ``/bin``, ``/lib*`` links), the
  dynamic linker's cache, the Python installation (``sys.prefix``, ``sys.base_prefix``), the
  code paths the caller names (each at its own path, minus the excluded ones), the MNIST cache
  (``$COURSE_DATA_DIR``) and the shared matplotlib cache (``$MPLCONFIGDIR``); a fresh ``/dev``
  and ``/proc``; private tmpfs mounts of ``tmpfs_mb`` for ``/tmp`` and ``/dev/shm``; and the
  subfolders of its run folder read-write (working directory, HOME, the folder of its
  connection file and sockets, the grader's channel), each its own mount, so the kernel can
  neither replace them nor add anything beside them. Nothing else of the host exists in it:
  not the repository, the grading directory, other submissions, nor the host's ``/tmp`` or
  ``/dev/shm``.

The grader works in the run folder as root between kernels, so nothing there may lead it
elsewhere: the run folder itself stays root's, the launcher follows no link the kernel made,
and once a kernel of a run folder had the sandbox, no later one starts without it.

Before the kernel starts, :mod:`grader.probe` runs inside and writes what is in force into
``<run_dir>/.sandbox/<name>.json``, a folder the kernel sees read-only; :func:`enforced`
reads it for the grade record. Where bubblewrap is missing or cannot create namespaces (user
namespaces disabled), the kernel runs without a sandbox and the record says so and why.

The launcher tries its command lines (strongest first) with an empty Python before it starts
the kernel in the first that works. A grading process that saw the strongest work (in a record
it read before any student code ran, which says only which line worked) tells its later
launchers so (``verified`` in the spec): they start the kernel in it without the trial run. A
false claim could only name the strongest sandbox, which then fails to start; never a weaker one.

Standard library only (the launcher may run under the system Python).
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from . import probe

MB = 1 << 20
UID_BASE = 0x70000000   # 1879048192: above the ranges distributions and container tools hand out
PROBE_DIR = ".sandbox"
SYSTEM_LINKS = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")
SYSTEM_FILES = ("/etc/ld.so.cache", "/etc/localtime")
NAMESPACE_FIX = ("allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1;"
                 " on Ubuntu 24.04 kernel.apparmor_restrict_unprivileged_userns=0)"
                 " or grade in a VM")


# ----------------------------------------------------------------------- the grader's side
# bubblewrap's version by the ``bwrap`` of a box, once a kernel of this process got the strongest
# sandbox with it
_strongest_works: dict[str | None, str] = {}


def launcher_spec(limits, box: dict | None = None, name: str = "kernel") -> dict:
    """The JSON argument of ``grader.kernel``: rlimits from ``limits`` (``grader.config.Limits``)
    and, when ``box`` is given, the sandbox.

    ``box`` keys: ``run_dir`` (the kernel's own folder, read-write), ``code`` (folders the kernel
    may import, read-only at their own paths), ``exclude`` (paths inside them to hide),
    optionally ``bwrap`` (the executable; default: found on PATH). ``name`` names the record.
    The spec also names this Python's installation (the launcher runs without ``site``, which
    is what would tell it) and, once a kernel of this process ran in the strongest sandbox
    (:func:`note_started`), bubblewrap's version: later launchers go straight to that sandbox
    instead of trying it out first.
    """
    address = limits.memory_mb + limits.address_headroom_mb if limits.memory_mb else 0
    spec = {"rlimits": {"address_space_mb": address, "file_size_mb": limits.disk_mb,
                        "open_files": limits.open_files, "processes": limits.processes}}
    if box:
        spec["sandbox"] = {"run_dir": str(box["run_dir"]),
                           "code": [str(p) for p in box.get("code", ())],
                           "exclude": [str(p) for p in box.get("exclude", ())],
                           "tmpfs_mb": limits.tmpfs_mb, "record": f"{name}.json",
                           "bwrap": box.get("bwrap"),
                           "verified": _strongest_works.get(box.get("bwrap")),
                           "python": [sys.prefix, sys.base_prefix, sys.exec_prefix,
                                      sys.base_exec_prefix]}
    return spec


def resident_limit_mb(limits, sandboxed: bool) -> int:
    """The memory watchdog's limit: the private tmpfs mounts of a sandbox count against
    ``memory_mb`` (their pages belong to no process)."""
    if not sandboxed:
        return limits.memory_mb
    return max(1, limits.memory_mb - 2 * limits.tmpfs_mb)


def note_started(record, pid: int, bwrap: str | None = None) -> None:
    """After a sandboxed kernel started (no student code has run yet): add ``uid`` to its
    ``record`` file, the real user id the host sees it run as, read from the newest processes
    (those without children) of the tree under ``pid``, the launcher (above the kernel, bwrap
    and its helpers may run as someone else); and remember whether it got the strongest sandbox
    with the box's ``bwrap`` (:func:`launcher_spec`)."""
    import psutil

    try:
        top = psutil.Process(pid)
        uids = {p.uids().real for p in [top, *top.children(recursive=True)] if not p.children()}
        data = json.loads(Path(record).read_text())
    except (psutil.Error, OSError, ValueError):
        return
    data["uid"] = uids.pop() if len(uids) == 1 else sorted(uids)
    Path(record).write_text(json.dumps(data))
    if data.get("variant") == 0 and isinstance(data.get("sandbox"), str):
        _strongest_works[bwrap] = data["sandbox"]


def _records(run_dir) -> list[dict]:
    """The records of the kernels started with ``run_dir``, oldest first."""
    found = []
    for path in sorted(Path(run_dir, PROBE_DIR).glob("*.json"), key=lambda p: p.stat().st_mtime):
        try:
            found.append(json.loads(path.read_text()))
        except (OSError, ValueError):
            found.append({"sandbox": None, "reason": "a kernel's sandbox record is unreadable"})
    return found


def enforced(run_dir) -> dict:
    """What was in force for the kernels started with ``run_dir``: the weakest of their records
    (none sandboxed beats any sandboxed), plus ``kernels``, how many records there were."""
    found = _records(run_dir)
    if not found:
        return {"sandbox": None, "reason": "no kernel was started", "kernels": 0}
    weakest = min(found, key=lambda r: (bool(r.get("sandbox")), len(r.get("namespaces") or ())))
    return {**weakest, "kernels": len(found)}


# ----------------------------------------------------------------------- the launcher's side
@dataclass
class Plan:
    """Everything :func:`enter` needs, decided before anything is changed."""

    run_dir: Path
    record: Path
    cwd: Path
    tmpfs_mb: int
    code: list[Path] = field(default_factory=list)
    exclude: list[Path] = field(default_factory=list)
    readonly: list[Path] = field(default_factory=list)
    setenv: dict = field(default_factory=dict)
    matplotlib: list[str] | None = None   # [shared cache, the kernel's own]: copied in the probe
    bwrap: str | None = None
    version: str | None = None
    verified: bool = False        # the grader saw the strongest sandbox work: no trial run
    setpriv: str | None = None
    uid: int | None = None   # the kernel's own user id (grader running as root)
    problem: str | None = None    # why there can be no sandbox: the kernel runs without one
    refusal: str | None = None    # why the kernel must not start at all

    def kernel_folders(self) -> list[Path]:
        """The run folder's subfolders, the kernel's to write (links and the record folder
        excluded); the run folder's own entries are the grader's."""
        return sorted(e for e in self.run_dir.iterdir()
                      if e.is_dir() and not e.is_symlink() and e != self.record.parent)


def plan(box: dict, env: dict) -> Plan:
    """Decide the sandbox for a launcher whose spec holds ``box`` and whose environment is
    ``env``; ``Plan.problem`` says why there can be none."""
    run_dir = Path(box["run_dir"]).resolve()
    p = Plan(run_dir=run_dir, record=run_dir / PROBE_DIR / box["record"], cwd=Path.cwd(),
             tmpfs_mb=box["tmpfs_mb"], code=[Path(c) for c in box["code"]],
             exclude=[Path(e) for e in box["exclude"]])
    data, shared = env.get("COURSE_DATA_DIR"), env.get("MPLCONFIGDIR")
    python = box.get("python") or (sys.prefix, sys.base_prefix, sys.exec_prefix,
                                   sys.base_exec_prefix)
    p.readonly = [Path(x) for x in python]
    if data and Path(data).is_dir():
        p.readonly.append(Path(data))
    if shared and Path(shared).is_dir() and run_dir not in Path(shared).resolve().parents:
        p.readonly.append(Path(shared))
        p.matplotlib = [shared, str(Path(env.get("HOME", "/tmp")) / ".matplotlib")]
    if p.code:
        p.setenv["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(str(c.parent) for c in p.code))
    p.bwrap = box.get("bwrap") or _which("bwrap", env)
    if not (p.bwrap and os.access(p.bwrap, os.X_OK)):
        p.problem = "bubblewrap (bwrap) is not installed; install it: apt-get install bubblewrap"
        return p
    p.verified, p.version = bool(box.get("verified")), box.get("verified")
    if not p.verified:
        try:
            out = subprocess.run([p.bwrap, "--version"], capture_output=True, text=True,
                                 timeout=30, check=False)
            p.version = out.stdout.strip() or "bubblewrap"
        except (OSError, subprocess.TimeoutExpired) as exc:
            p.problem = f"bubblewrap does not run: {exc}"
            return p
    if os.geteuid() == 0:
        p.setpriv = _which("setpriv", env)
        if p.setpriv is None:
            p.problem = "setpriv (util-linux) is not installed, so the kernel cannot leave root"
        p.uid = UID_BASE + os.getpid()
    if not any(f in [p.cwd, *p.cwd.parents] for f in p.kernel_folders()):
        p.refusal = f"its working directory {p.cwd} is not in a subfolder of {run_dir}"
    return p


def enter(p: Plan, cmd: list[str], env: dict) -> None:
    """Become ``cmd`` inside the sandbox of ``p``, or, when there can be none, outside it with a
    record that says so; exit instead when the kernel must not start. Never returns."""
    context = {"sandbox": None, "reason": p.problem, "own_uid": False, "cwd": str(p.cwd),
               "host_namespaces": probe.namespaces(), "run_dir": str(p.run_dir)}
    if p.problem is None and p.refusal is None:
        if p.uid is not None:
            _give_kernel_folders(p)
        errors = []
        variants = _variants(p)[:1] if p.verified else _variants(p)
        for number, argv in enumerate(variants):
            error = None if p.verified else _preflight(argv)
            if error is None:
                context.update(sandbox=p.version, variant=number, own_uid=p.uid is not None,
                               matplotlib=p.matplotlib)
                inner = [sys.executable, "-I", "-S", "-c", Path(probe.__file__).read_text(),
                         str(_open_record(p)), json.dumps(context), "--"]
                os.execv(argv[0], argv + inner + cmd)
            errors.append(error)
        context["reason"] = (f"bubblewrap could not build the sandbox here ({errors[-1]});"
                             f" {NAMESPACE_FIX}")
    refusal = p.refusal
    if refusal is None and _sandboxed_before(p):
        refusal = ("an earlier kernel of this run had the sandbox and this one cannot: "
                   f"{context['reason']}")
    if refusal:
        sys.exit(f"grader.kernel: not starting the kernel: {refusal}")
    probe.record(_open_record(p), context)
    os.execv(cmd[0], cmd)


def _open_record(p: Plan) -> int:
    """A new record file for this kernel, as an inheritable descriptor."""
    p.record.parent.mkdir(mode=0o755, exist_ok=True)
    fd = os.open(p.record, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
    os.set_inheritable(fd, True)
    return fd


def _sandboxed_before(p: Plan) -> bool:
    """Whether an earlier kernel of this run folder had the sandbox."""
    return any(r.get("sandbox") for r in _records(p.run_dir))


def _which(name: str, env: dict) -> str | None:
    """``name`` on the kernel's PATH, else on the launcher's."""
    return shutil.which(name, path=env.get("PATH")) or shutil.which(name)


def _preflight(argv: list[str]) -> str | None:
    """Run an empty Python in the sandbox ``argv`` describes: None if it works, else why not."""
    try:
        out = subprocess.run([*argv, sys.executable, "-I", "-S", "-c", ""], capture_output=True,
                             text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return str(exc)
    if out.returncode == 0:
        return None
    return (out.stderr.strip().splitlines() or [f"exit status {out.returncode}"])[-1][:300]


def _variants(p: Plan) -> list[list[str]]:
    """The bwrap command lines to try, strongest first (the command itself still to append)."""
    common = ["--unshare-pid", "--unshare-ipc", "--unshare-net", "--unshare-uts",
              "--unshare-cgroup-try", "--hostname", "sandbox", "--die-with-parent", "--new-session"]
    view = _view(p) + ["--chdir", "/"]   # the probe changes to the working directory
    # ipykernel would take the sandbox's init, its parent there, for a dead grader and exit;
    # --die-with-parent ends the kernel with the grader instead
    view += ["--unsetenv", "JPY_PARENT_PID"]
    for name, value in p.setenv.items():
        view += ["--setenv", name, value]
    if p.uid is None:   # an ordinary user: one unprivileged bwrap with a user namespace
        return [[p.bwrap, *common, "--unshare-user", "--disable-userns", *view, "--"]]
    keep = ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID",
            "--cap-add", "CAP_SETPCAP"]
    drop = [p.setpriv, f"--reuid={p.uid}", f"--regid={p.uid}", "--clear-groups", "--inh-caps=-all",
            "--bounding-set=-all", "--"]
    no_userns = [p.bwrap, "--unshare-user", "--disable-userns", "--dev-bind", "/", "/",
                 "--die-with-parent", "--"]
    root = [p.bwrap, *common, *keep, *view, "--", *drop]
    return [root + no_userns, root]


def _view(p: Plan) -> list[str]:
    """bwrap's file system options: what the kernel sees, and how."""
    args = ["--proc", "/proc", "--dev", "/dev"]
    for point in ("/dev/shm", "/tmp"):
        args += ["--perms", "1777", "--size", str(p.tmpfs_mb * MB), "--tmpfs", point]
    args += ["--ro-bind", "/usr", "/usr"]
    for name in SYSTEM_LINKS:
        path = Path("/", name)
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    for path in SYSTEM_FILES:
        args += ["--ro-bind-try", path, path]
    made: set[Path] = {Path("/"), Path("/tmp"), Path("/dev"), Path("/usr")}
    for path, writable in _binds(p):
        args += _parents(path, made)
        args += ["--bind" if writable else "--ro-bind", str(path.resolve()), str(path)]
        made.add(path)
    for path in p.exclude:
        if path.exists() and any(c in path.parents for c in p.code):
            args += _hide(path)
    return args + ["--remount-ro", "/dev", "--remount-ro", "/"]


def _binds(p: Plan) -> list[tuple[Path, bool]]:
    """(path, writable) to bind at its own path, parents before children; read-only paths that
    ``/usr`` or another read-only path already shows are left out."""
    ro = [Path(os.path.abspath(x)) for x in [*p.readonly, *p.code] if Path(x).exists()]
    ro = [x for x in dict.fromkeys(ro) if not any(y in x.parents for y in [*ro, Path("/usr")])]
    rw = [(f, True) for f in p.kernel_folders()]
    return sorted([(x, False) for x in ro] + rw, key=lambda b: b[0].parts)


def _parents(path: Path, made: set) -> list[str]:
    """Create the parent folders of ``path`` traversable by everyone (bwrap running as root
    would otherwise make them 0700, closed to the kernel's user); existing ones stay as they are."""
    args = []
    for parent in reversed(path.parents):
        if parent not in made:
            args += ["--perms", "0755", "--dir", str(parent)]
            made.add(parent)
    return args


def _hide(path: Path) -> list[str]:
    """Cover ``path`` with an empty read-only folder (or ``/dev/null`` for a file)."""
    if path.is_dir():
        return ["--perms", "0555", "--size", str(MB), "--tmpfs", str(path),
                "--remount-ro", str(path)]
    return ["--ro-bind", "/dev/null", str(path)]


def _give_kernel_folders(p: Plan) -> None:
    """Make the run folder's subfolders the kernel's user's, without following the links an
    earlier kernel may have left; the run folder itself and the records stay root's."""
    for top in p.kernel_folders():
        os.chown(top, p.uid, p.uid, follow_symlinks=False)
        for entry in tree_entries(top):
            os.chown(entry.path, p.uid, p.uid, follow_symlinks=False)


def tree_entries(top):
    """Every file, folder and link under ``top`` (``os.DirEntry``), links not followed, each
    folder yielded before it is entered. A stack, not recursion: a kernel may nest folders
    thousands deep, where ``os.walk`` and ``shutil.rmtree`` of Python 3.11 fail."""
    stack = [str(top)]
    while stack:
        try:
            with os.scandir(stack.pop()) as it:
                entries = list(it)
        except OSError:
            continue
        for entry in entries:
            yield entry
            try:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
            except OSError:
                pass


def remove_tree(path) -> None:
    """Delete a run folder whatever its kernel left there: folders thousands deep, folders
    without permissions (an unprivileged kernel runs as the grader's user)."""
    try:
        shutil.rmtree(path)
        return
    except FileNotFoundError:
        return
    except (OSError, RecursionError):
        pass
    for entry in tree_entries(path):   # each folder is opened up before it is entered
        if entry.is_dir(follow_symlinks=False):
            with contextlib.suppress(OSError):
                os.chmod(entry.path, 0o700)
    subprocess.run(["rm", "-rf", "--", str(path)], check=False,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
