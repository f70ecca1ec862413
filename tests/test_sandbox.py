"""A grading kernel runs in a bubblewrap sandbox: attacks from inside it fail, and the record
says what was in force.

The attacks run twice through the kernel launcher (``python -m grader.kernel``), with a script as
the sandboxed command: once as the grader runs them as root (``root``), once as an unprivileged
grader would (``user``: as root this is simulated by running the launcher as uid 12345, see
``as_user``). Further tests start a real kernel with ``execute_notebook``, in both ways too.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import psutil
import pytest

from grader import config, sandbox
from grader.execute import DISK_QUOTA, execute_notebook, kernel_env
from grader.kernel import launcher_command

REPO = config.REPO
# what a grading kernel imports: a course/ folder (here the repository's own), nothing else
CODE_PATHS = [str(REPO / "course")]
EXCLUDED_PATHS: list = []
USER_UID = 12345                 # the simulated unprivileged grader
SETPRIV = ["setpriv", f"--reuid={USER_UID}", f"--regid={USER_UID}", "--clear-groups"]
LIMITS = config.Limits(memory_mb=1024, tmpfs_mb=8, disk_mb=16, open_files=64, processes=48)
IS_ROOT = os.geteuid() == 0

# Each attack is a function; the script prints {name: {"ok": bool, "value" or "error": ...}}.
ATTACKS = r'''
import ctypes, errno, json, os, socket, subprocess, sys
cfg = json.loads(sys.argv[1])
MB = 1 << 20
results = {}


def attack(fn):
    try:
        results[fn.__name__] = {"ok": True, "value": fn()}
    except Exception as exc:
        results[fn.__name__] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}


def fill(path, give_up_mb):
    """Write 1 MB at a time until an error; the MB written and the error's code."""
    written, code = 0, None
    try:
        with open(path, "wb") as f:
            while written < give_up_mb:
                f.write(b"x" * MB)
                f.flush()
                written += 1
    except OSError as exc:
        code = errno.errorcode.get(exc.errno)
    return {"mb": written, "error": code}


@attack
def own_file():
    """A file owned by the kernel's real user id, for the host to look at."""
    open("whoami", "w").close()
    return os.getuid()


@attack
def read_gradebook():
    return open(cfg["gradebook"]).read()


@attack
def list_workdir():
    return os.listdir(cfg["workdir"])


@attack
def read_other_kernel():
    """Another kernel's run folder, beside this one in the host's /tmp."""
    return open(cfg["other_kernel"]).read()


@attack
def read_solution():
    return open(cfg["solution"]).read(100)


@attack
def list_bug_catalog():
    return os.listdir(cfg["bugs"])


@attack
def other_processes():
    """The command line of every process in view (the grader must not be one of them)."""
    return [open(f"/proc/{p}/cmdline").read() for p in os.listdir("/proc") if p.isdigit()]


@attack
def through_proc():
    """/proc/<pid>/root of every visible process (and of the grader's pid) to the grader's files."""
    found = []
    for pid in [p for p in os.listdir("/proc") if p.isdigit()] + [str(cfg["grader_pid"])]:
        for target in (cfg["gradebook"], cfg["solution"]):
            try:
                open(f"/proc/{pid}/root{target}").read(1)
                found.append(f"/proc/{pid}/root{target}")
            except OSError:
                pass
        try:
            found.append(os.listdir(f"/proc/{pid}/cwd/{cfg['workdir']}"))
        except OSError:
            pass
    return found


@attack
def chroot_escape():
    os.makedirs("jail", exist_ok=True)
    os.chroot("jail")
    for _ in range(50):
        os.chdir("..")
    os.chroot(".")
    return os.listdir("/")


@attack
def fill_tmp():
    return fill(f"/tmp/{cfg['marker']}", 4 * cfg["tmpfs_mb"])


@attack
def fill_dev_shm():
    return fill(f"/dev/shm/{cfg['marker']}", 4 * cfg["tmpfs_mb"])


@attack
def big_file():
    result = fill("big.bin", 4 * cfg["disk_mb"])
    os.remove("big.bin")
    return result


@attack
def network():
    with socket.create_connection(("127.0.0.1", cfg["port"]), timeout=3) as s:
        s.sendall(b"hello")
    return "connected"


@attack
def open_files():
    handles, code = [], None
    try:
        while len(handles) < 100_000:
            handles.append(open("/dev/null"))
    except OSError as exc:
        code = errno.errorcode.get(exc.errno)
    for h in handles:
        h.close()
    return {"opened": len(handles), "error": code}


@attack
def processes():
    """Fork children that wait on a pipe, until fork fails."""
    r, w = os.pipe()
    children, code = [], None
    try:
        while len(children) < 5000:
            pid = os.fork()
            if pid == 0:
                os.close(w)
                os.read(r, 1)
                os._exit(0)
            children.append(pid)
    except OSError as exc:
        code = errno.errorcode.get(exc.errno)
    os.close(w)
    for pid in children:
        os.waitpid(pid, 0)
    return {"forked": len(children), "error": code}


@attack
def user_namespace():
    """True when a child could create a user namespace (and with it mount a tmpfs of any size)."""
    pid = os.fork()
    if pid == 0:
        libc = ctypes.CDLL(None, use_errno=True)
        os._exit(0 if libc.unshare(0x10000000) == 0 else 1)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0


@attack
def mount_tmpfs():
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.mount(b"none", b"/tmp", b"tmpfs", 0, None) != 0:
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
    return "mounted"


@attack
def forge_record():
    """Claim more than was in force: rewrite, or replace, this kernel's sandbox record."""
    import shutil
    try:
        with open(cfg["record"], "w") as f:
            f.write('{"sandbox": "forged"}')
    except OSError:
        shutil.move(os.path.dirname(cfg["record"]), "moved")
        os.makedirs(os.path.dirname(cfg["record"]))
        with open(cfg["record"], "w") as f:
            f.write('{"sandbox": "forged"}')
    return "forged"


@attack
def write_beside_its_folders():
    """A file, or a link in place of one of its folders, in the run folder the grader works in."""
    run = os.path.dirname(os.getcwd())
    try:
        open(os.path.join(run, "planted"), "w").close()
    except OSError:
        os.rename(os.path.join(run, "home"), os.path.join(run, "home.old"))
    return "written"


@attack
def write_code():
    with open(cfg["code_file"], "a") as f:
        f.write("# changed by a student\n")
    return "written"


@attack
def sleepers():
    """A forked, a setsid'd and a double-forked (orphaned) sleeper, each marked in its argv."""
    argv = [sys.executable, "-c", f"import time; time.sleep(600)  # {cfg['marker']}"]
    subprocess.Popen(argv)
    subprocess.Popen(argv, start_new_session=True)
    pid = os.fork()
    if pid == 0:
        if os.fork() == 0:
            os.execv(argv[0], argv)
        os._exit(0)
    os.waitpid(pid, 0)
    return "started"


print(json.dumps(results))
'''


def can_sandbox() -> str | None:
    """None when bubblewrap can run a sandbox here; otherwise why not."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return "bubblewrap is not installed"
    try:
        out = subprocess.run([bwrap, "--unshare-all", "--ro-bind", "/", "/", "true"],
                             capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bwrap cannot run: {exc}"
    return None if out.returncode == 0 else f"bwrap cannot create namespaces: {out.stderr.strip()}"


def skip_without_bwrap():
    reason = can_sandbox()
    if reason:
        pytest.skip(reason)


def listener():
    """A TCP server on 127.0.0.1 of the test's network namespace; returns (socket, port)."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(5)
    srv.settimeout(0.5)
    return srv, srv.getsockname()[1]


def accepted_any(srv) -> bool:
    try:
        srv.accept()[0].close()
        return True
    except OSError:
        return False


def survivors(marker: str, wait: float = 5.0) -> list:
    """Processes whose command line carries ``marker``, once the sandbox had ``wait`` s to die."""
    deadline = time.monotonic() + wait
    while True:
        found = []
        for p in psutil.process_iter(["cmdline"]):
            if marker in " ".join(p.info["cmdline"] or []):
                found.append(p)
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def kill_all(procs):
    for p in procs:
        try:
            p.kill()
        except psutil.Error:
            pass


def make_run_dir(owner: int | None = None) -> Path:
    """A kernel's run folder as the worker makes it: work/ (cwd) and home/, in /tmp."""
    run = Path(tempfile.mkdtemp(prefix="grader-run-", dir="/tmp"))
    for sub in ("work", "home"):
        (run / sub).mkdir()
    if owner is not None:
        for p in (run, run / "work", run / "home"):
            os.chown(p, owner, owner)
    return run


@pytest.fixture(scope="module")
def workdir():
    """A grading directory with a gradebook and another student's submission, world-readable
    (an unprivileged grader's own files are readable by that user outside the sandbox)."""
    work = Path(tempfile.mkdtemp(prefix="sandbox-work-", dir="/tmp"))
    (work / "submitted" / "bob").mkdir(parents=True)
    (work / "submitted" / "bob" / "nb.ipynb").write_text("bob's answers")
    (work / "gradebook.db").write_text("grades")
    for p in [work, *work.rglob("*")]:
        p.chmod(0o755 if p.is_dir() else 0o644)
    yield work
    shutil.rmtree(work, ignore_errors=True)


def closed_folder(path: Path) -> Path | None:
    """The outermost folder above ``path`` that other users may not enter (e.g. ``/root``)."""
    for parent in reversed(path.parents):
        if parent != Path("/") and not parent.stat().st_mode & 0o001:
            return parent
    return None


def as_user(cmd: list[str], staging: Path) -> list[str]:
    """``cmd`` run as uid USER_UID with this test's Python and repository. Where one of them lies
    in a folder closed to other users (a pyenv under /root), the command runs in a private mount
    namespace in which that folder is a tmpfs holding only what is needed, bound back through
    ``staging``; the host's mounts are not touched."""
    steps, covered = [], []
    needed = [Path(sys.base_prefix), Path(sys.prefix), REPO]
    for i, path in enumerate(needed):
        closed = closed_folder(path)
        if closed is None:
            continue
        (staging / str(i)).mkdir(exist_ok=True)
        steps.insert(0, f"mount --bind '{path}' '{staging / str(i)}'")
        if closed not in covered:
            steps.append(f"mount -t tmpfs -o mode=755 tmpfs '{closed}'")
            covered.append(closed)
        steps.append(f"mkdir -p '{path}' && mount --bind '{staging / str(i)}' '{path}'")
    if not steps:
        return [*SETPRIV, *cmd]
    script = " && ".join([*steps, 'exec "$@"'])
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh",
            *SETPRIV, *cmd]


@pytest.fixture(scope="module")
def staging():
    folder = Path(tempfile.mkdtemp(prefix="sandbox-staging-", dir="/tmp"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def user_mode_problem(staging: Path) -> str | None:
    """Why an unprivileged grader cannot be simulated here (None when it can)."""
    if not IS_ROOT:
        return None   # the tests run as an unprivileged user: that is the real thing
    if not (shutil.which("setpriv") and shutil.which("unshare")):
        return "simulating an unprivileged grader needs setpriv and unshare (util-linux)"
    probe = as_user([sys.executable, "-c", "import grader.kernel, nbclient"], staging)
    out = subprocess.run(probe, cwd="/", capture_output=True, text=True, check=False)
    if out.returncode != 0:
        return f"uid {USER_UID} cannot run this test's Python: {out.stderr.strip()[-200:]}"
    return None


def skip_unless_mode_runs(mode: str, staging: Path) -> bool:
    """Skip unless ``mode`` can be run here; whether it needs the USER_UID simulation."""
    if mode == "root" and not IS_ROOT:
        pytest.skip("the grader is not running as root here")
    if mode == "user" and user_mode_problem(staging):
        pytest.skip(user_mode_problem(staging))
    skip_without_bwrap()
    return mode == "user" and IS_ROOT


def run_attacks(mode: str, workdir: Path, staging: Path) -> dict:
    """Run ATTACKS as the launcher's sandboxed command; the results, the record, the evidence."""
    simulate = skip_unless_mode_runs(mode, staging)
    python = sys.executable
    run, other = make_run_dir(USER_UID if simulate else None), make_run_dir()
    (other / "work" / "answers.txt").write_text("bob's answers")
    (other / "work" / "answers.txt").chmod(0o644)
    other.chmod(0o755)
    marker = f"sandbox-marker-{os.urandom(4).hex()}"
    srv, port = listener()
    solution = next((REPO / "solutions").glob("*/*.ipynb"))
    cfg = {"gradebook": str(workdir / "gradebook.db"), "workdir": str(workdir / "submitted"),
           "solution": str(solution), "bugs": str(REPO / "grader" / "bugs"),
           "grader_pid": os.getpid(), "marker": marker, "tmpfs_mb": LIMITS.tmpfs_mb,
           "disk_mb": LIMITS.disk_mb, "port": port,
           "code_file": str(REPO / "course" / "__init__.py"),
           "other_kernel": str(other / "work" / "answers.txt"),
           "record": str(run / sandbox.PROBE_DIR / "attacks.json")}
    box = {"run_dir": str(run), "code": CODE_PATHS, "exclude": EXCLUDED_PATHS}
    spec = sandbox.launcher_spec(LIMITS, box, "attacks")
    cmd = [python, "-m", "grader.kernel", json.dumps(spec), "--",
           python, "-c", ATTACKS, json.dumps(cfg)]
    if simulate:
        cmd = as_user(cmd, staging)
    env = kernel_env(run / "home", {"PYTHONPATH": str(REPO)})
    try:
        out = subprocess.run(cmd, cwd=run / "work", env=env, capture_output=True, text=True,
                             timeout=180, check=False)
        assert out.returncode == 0, out.stderr
        left = survivors(marker)
        kill_all(left)
        return {"results": json.loads(out.stdout.splitlines()[-1]), "record": sandbox.enforced(run),
                "survivors": left, "accepted": accepted_any(srv), "marker": marker, "mode": mode,
                "host_uid": (run / "work" / "whoami").stat().st_uid,
                "host_run_dir": sorted(os.listdir(run)),
                "grader_uid": USER_UID if simulate else os.geteuid()}
    finally:
        srv.close()
        shutil.rmtree(run, ignore_errors=True)
        shutil.rmtree(other, ignore_errors=True)


@pytest.fixture(scope="module", params=["root", "user"])
def attacked(request, workdir, staging):
    return run_attacks(request.param, workdir, staging)


def failed(outcome, name) -> bool:
    return not outcome["results"][name]["ok"]


def test_kernel_is_not_root_outside_its_namespace(attacked):
    uid = attacked["host_uid"]   # as the host sees the owner of a file the kernel made
    assert uid != 0
    if attacked["mode"] == "root":
        assert attacked["record"]["own_uid"] and uid >= sandbox.UID_BASE, attacked["record"]
    else:
        assert uid == attacked["grader_uid"] and not attacked["record"]["own_uid"]


def test_instructor_files_and_other_submissions_are_invisible(attacked):
    for name in ("read_gradebook", "list_workdir", "read_solution", "read_other_kernel"):
        assert failed(attacked, name), attacked["results"][name]
    bugs = attacked["results"]["list_bug_catalog"]
    assert failed(attacked, "list_bug_catalog") or bugs["value"] == [], bugs


def test_proc_shows_no_way_out(attacked):
    assert attacked["results"]["through_proc"] == {"ok": True, "value": []}
    seen = attacked["results"]["other_processes"]["value"]
    assert len(seen) < 10 and not any("pytest" in c for c in seen), seen


def test_chroot_fails(attacked):
    assert failed(attacked, "chroot_escape"), attacked["results"]["chroot_escape"]


def test_private_tmp_and_dev_shm_are_small_and_leave_nothing_behind(attacked):
    for name in ("fill_tmp", "fill_dev_shm"):
        filled = attacked["results"][name]["value"]
        assert filled["error"] == "ENOSPC" and filled["mb"] <= LIMITS.tmpfs_mb, (name, filled)
    marker = attacked["marker"]
    assert not Path(f"/dev/shm/{marker}").exists() and not Path(f"/tmp/{marker}").exists()


def test_file_size_is_limited(attacked):
    big = attacked["results"]["big_file"]["value"]
    assert big["error"] == "EFBIG" and big["mb"] <= LIMITS.disk_mb, big


def test_no_network(attacked):
    assert failed(attacked, "network"), attacked["results"]["network"]
    assert not attacked["accepted"], "the listening port on the grader's 127.0.0.1 was reached"


def test_open_files_are_limited(attacked):
    opened = attacked["results"]["open_files"]["value"]
    assert opened["error"] == "EMFILE" and opened["opened"] < LIMITS.open_files, opened


def test_processes_are_limited(attacked):
    forked = attacked["results"]["processes"]["value"]
    assert forked["error"] == "EAGAIN" and forked["forked"] < LIMITS.processes, forked


def test_no_new_user_namespaces_mounts_or_code_changes(attacked):
    assert attacked["results"]["user_namespace"] == {"ok": True, "value": False}
    assert failed(attacked, "mount_tmpfs") and failed(attacked, "write_code"), attacked["results"]
    # what the kernel sees of its run folder is its own tmpfs: the grader's is untouched
    assert attacked["host_run_dir"] == [".sandbox", "home", "work"], attacked["host_run_dir"]
    assert failed(attacked, "forge_record") and attacked["record"]["sandbox"] != "forged"


def test_no_process_survives_the_sandbox(attacked):
    assert attacked["results"]["sleepers"]["value"] == "started"
    assert not attacked["survivors"], [p.info["cmdline"] for p in attacked["survivors"]]


# a grader that starts a sandboxed sleeper through the launcher, as jupyter_client does (it
# names itself in JPY_PARENT_PID), then exits at once or waits until it is killed
DOOMED_GRADER = """import json, os, subprocess, sys, time
spec, cwd, env, marker, at_once = json.loads(sys.argv[1])
sleeper = [sys.executable, "-c", f"import time; time.sleep(600)  # {marker}"]
subprocess.Popen([sys.executable, "-m", "grader.kernel", json.dumps(spec), "--", *sleeper],
                 cwd=cwd, env={**env, "JPY_PARENT_PID": str(os.getpid())})
if at_once:
    os._exit(0)
time.sleep(600)"""


@pytest.mark.parametrize("mode", ["root", "user"])
@pytest.mark.parametrize("when", ["while the kernel starts", "while it runs"])
def test_the_sandbox_dies_with_the_grader(mode, when, staging):
    """The death of the grading process (its worker) ends every sandbox it started, even one
    whose launcher was still setting up."""
    simulate = skip_unless_mode_runs(mode, staging)
    run = make_run_dir(USER_UID if simulate else None)
    marker = f"sandbox-marker-{os.urandom(4).hex()}"
    box = {"run_dir": str(run), "code": CODE_PATHS, "exclude": EXCLUDED_PATHS}
    env = kernel_env(run / "home", {"PYTHONPATH": str(REPO)})
    spec = sandbox.launcher_spec(LIMITS, box, "doomed")
    at_once = when == "while the kernel starts"
    args = json.dumps([spec, str(run / "work"), env, marker, at_once])
    cmd = [sys.executable, "-c", DOOMED_GRADER, args]
    grader = subprocess.Popen(as_user(cmd, staging) if simulate else cmd, cwd=REPO, env=env)
    try:
        deadline = time.monotonic() + 60
        while not at_once and not any(marker in " ".join(p.info["cmdline"] or [])
                                      and p.info["name"] == "python"
                                      for p in psutil.process_iter(["cmdline", "name"])):
            assert time.monotonic() < deadline and grader.poll() is None, "no sleeper started"
            time.sleep(0.2)
        if at_once:   # it exits by itself right after starting the launcher
            assert grader.wait(timeout=60) == 0
        else:
            grader.kill()
            grader.wait()
        time.sleep(3)   # a launcher still setting up would have started its sandbox by now
        left = survivors(marker)
        kill_all(left)
        assert not left, [p.info["cmdline"][:3] for p in left]
    finally:
        grader.kill()
        shutil.rmtree(run, ignore_errors=True)


def test_record_says_what_was_in_force(attacked):
    rec = attacked["record"]
    assert rec["sandbox"].startswith("bubblewrap "), rec
    assert {"ipc", "mnt", "net", "pid", "user", "uts"} <= set(rec["namespaces"]), rec
    assert rec["network"] is False and rec["user_namespaces"] is False
    assert rec["no_new_privs"] is True
    assert rec["capabilities"] == "0000000000000000"
    assert rec["rlimits"] == {"address_space_mb": LIMITS.memory_mb + LIMITS.address_headroom_mb,
                              "file_size_mb": LIMITS.disk_mb, "open_files": LIMITS.open_files,
                              "processes": rec["rlimits"]["processes"], "core_dump_mb": 0}
    if attacked["mode"] == "root":
        assert rec["rlimits"]["processes"] == LIMITS.processes
    assert rec["tmpfs_mb"] == {"/tmp": LIMITS.tmpfs_mb, "/dev/shm": LIMITS.tmpfs_mb}
    folders = set(rec["writable"]) - {"/tmp", "/dev/shm"}   # the run folder's subfolders only
    assert folders and {str(Path(f).parent) for f in folders} == {rec["run_dir"]}, folders


# --------------------------------------------------------------------- a real kernel, end to end
PROBE_CELL = """import json, os, socket
uid = int(open('/proc/self/status').read().split('Uid:')[1].split()[0])
try:
    socket.create_connection(('127.0.0.1', {port}), timeout=3)
    net = 'connected'
except OSError as exc:
    net = type(exc).__name__
print(json.dumps({{'uid': uid, 'net': net, 'work': os.path.exists({work!r}),
                  'solutions': os.path.exists({solutions!r}), 'home': os.environ['HOME']}}))"""
SLEEPER_CELL = """import os, subprocess, sys
argv = [sys.executable, '-c', 'import time; time.sleep(600)  # {marker}']
subprocess.Popen(argv)
subprocess.Popen(argv, start_new_session=True)
if os.fork() == 0:
    if os.fork() == 0:
        os.execv(argv[0], argv)
    os._exit(0)
os.wait()
print('started')"""
IMPORT_CELL = """import course
print(course.__file__)
try:
    import grader
    print('grader at', grader.__file__)
except ImportError:
    print('no grader')"""


def tiny_notebook(*sources):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    return nb


def execute_in_run_dir(nb, limits=LIMITS, **box):
    """Execute ``nb`` as the worker does (cwd work/, HOME home/ in a run folder); returns the
    executed notebook, the events and the sandbox record."""
    run = make_run_dir()
    try:
        env = kernel_env(run / "home")
        box = {"run_dir": str(run), "code": CODE_PATHS, "exclude": EXCLUDED_PATHS, **box}
        executed, events = execute_notebook(nb, run / "work", limits, env, box)
        return executed, events, sandbox.enforced(run)
    finally:
        shutil.rmtree(run, ignore_errors=True)


def text(cell) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


# the grader as uid USER_UID: execute a notebook, print what came out
GRADE_AS_USER = """import json, sys
from grader import config
from tests.test_sandbox import execute_in_run_dir, text, tiny_notebook
nb = tiny_notebook(*json.loads(sys.argv[1]))
executed, events, record = execute_in_run_dir(nb, config.Limits(cell_timeout=60))
texts = [text(c) for c in executed.cells]
print(json.dumps({"texts": texts, "events": events, "record": record}))"""


def grade(mode: str, staging: Path, *sources) -> tuple[list, list, dict]:
    """Execute a notebook of ``sources`` as a root or an unprivileged grader would: the text
    each cell printed, the events, the sandbox record."""
    if not skip_unless_mode_runs(mode, staging):
        executed, events, record = execute_in_run_dir(tiny_notebook(*sources),
                                                      config.Limits(cell_timeout=60))
        return [text(c) for c in executed.cells], events, record
    home = staging / "home"
    home.mkdir(exist_ok=True)
    os.chown(home, USER_UID, USER_UID)
    cmd = as_user([sys.executable, "-c", GRADE_AS_USER, json.dumps(sources)], staging)
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(REPO), "HOME": str(home)}
    out = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
                         check=False)
    assert out.returncode == 0, out.stderr[-3000:]
    done = json.loads(out.stdout.splitlines()[-1])
    return done["texts"], done["events"], done["record"]


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["root", "user"])
def test_a_real_kernel_runs_sandboxed(mode, workdir, staging):
    marker = f"sandbox-marker-{os.urandom(4).hex()}"
    srv, port = listener()
    try:
        texts, events, record = grade(
            mode, staging, SLEEPER_CELL.format(marker=marker), IMPORT_CELL,
            PROBE_CELL.format(port=port, work=str(workdir / "gradebook.db"),
                              solutions=str(REPO / "solutions")))
        left = survivors(marker)
        kill_all(left)
        assert not events, events
        assert texts[0].strip() == "started"
        assert texts[1].split() == [str(REPO / "course" / "__init__.py"), "no", "grader"], texts[1]
        seen = json.loads(texts[2])
        assert seen["net"] != "connected" and not accepted_any(srv)
        assert not seen["work"] and not seen["solutions"], seen
        assert not left, "processes outlived the notebook"
        assert record["sandbox"].startswith("bubblewrap ") and record["kernels"] == 1, record
        assert record["network"] is False and {"pid", "net", "user"} <= set(record["namespaces"])
        assert record["uid"] == seen["uid"] != 0, (record["uid"], seen["uid"])
        assert record["own_uid"] == (mode == "root"), record
        if mode == "user" and IS_ROOT:
            assert record["uid"] == USER_UID
    finally:
        srv.close()


@pytest.mark.slow
def test_as_root_with_bubblewrap_the_sandbox_engages():
    """Loud failure: root with bubblewrap installed must never grade without the sandbox."""
    if not (IS_ROOT and shutil.which("bwrap")):
        pytest.skip("only meaningful as root with bubblewrap installed")
    _, _, record = execute_in_run_dir(tiny_notebook("print(1)"))
    assert record["sandbox"], f"bubblewrap is installed but the sandbox did not engage: {record}"
    assert record["uid"] != 0 and record["own_uid"], record


BWRAP_SHIM = """#!/bin/sh
echo "$1" >> {log} 2>/dev/null
exec {bwrap} "$@"
"""


def launch_with_logged_bwrap(tmp_path: Path, verified: str | None) -> tuple[list, dict]:
    """Start a command in a sandbox through the launcher, with a ``bwrap`` that logs its calls
    made outside the sandbox; (the logged first arguments, the kernel's record)."""
    shim, log = tmp_path / "shim", tmp_path / "calls.log"
    shim.mkdir(mode=0o755, exist_ok=True)
    (shim / "bwrap").write_text(BWRAP_SHIM.format(log=log, bwrap=shutil.which("bwrap")))
    (shim / "bwrap").chmod(0o755)
    log.unlink(missing_ok=True)
    run = make_run_dir()
    try:   # the shim is code the sandbox shows: bwrap calls itself again inside, as root
        box = {"run_dir": str(run), "code": [*CODE_PATHS, str(shim)], "exclude": [],
               "bwrap": str(shim / "bwrap")}
        spec = sandbox.launcher_spec(LIMITS, box, "logged")
        spec["sandbox"]["verified"] = verified
        out = subprocess.run(launcher_command(spec) + [sys.executable, "-c", "print('inside')"],
                             cwd=run / "work", env=kernel_env(run / "home"), capture_output=True,
                             text=True, timeout=120, check=False)
        assert out.returncode == 0 and out.stdout.strip() == "inside", out.stderr
        return log.read_text().split(), sandbox.enforced(run)
    finally:
        shutil.rmtree(run, ignore_errors=True)


@pytest.mark.slow
def test_once_the_strongest_sandbox_worked_the_launcher_skips_its_trial_run(tmp_path):
    """A launcher asks bubblewrap for its version and tries the sandbox with an empty Python
    before it starts the kernel in it; once the grading process saw the strongest sandbox work,
    its later launchers start the kernel in that sandbox straight away."""
    skip_without_bwrap()
    calls, first = launch_with_logged_bwrap(tmp_path, verified=None)
    assert calls[0] == "--version" and len(calls) == 3, calls   # version, trial, kernel
    assert first["sandbox"].startswith("bubblewrap ") and first["variant"] == 0, first
    calls, later = launch_with_logged_bwrap(tmp_path, verified=first["sandbox"])
    assert len(calls) == 1 and calls[0] != "--version", calls
    same = ("sandbox", "variant", "namespaces", "network", "user_namespaces", "own_uid", "rlimits")
    assert {k: later[k] for k in same} == {k: first[k] for k in same}


@pytest.mark.slow
def test_a_grading_process_remembers_the_sandbox_that_worked():
    if not shutil.which("bwrap"):
        pytest.skip("bubblewrap is not installed")
    box = {"run_dir": "/nonexistent", "code": CODE_PATHS}
    sandbox._strongest_works.clear()
    assert sandbox.launcher_spec(LIMITS, box)["sandbox"]["verified"] is None
    _, _, record = execute_in_run_dir(tiny_notebook("print(1)"))
    if record.get("variant") != 0:
        pytest.skip(f"the strongest sandbox does not work here: {record}")
    assert sandbox.launcher_spec(LIMITS, box)["sandbox"]["verified"] == record["sandbox"]
    other = {**box, "bwrap": "/other/bwrap"}
    assert sandbox.launcher_spec(LIMITS, other)["sandbox"]["verified"] is None


@pytest.mark.slow
def test_without_bubblewrap_grading_works_and_the_record_says_so():
    executed, events, record = execute_in_run_dir(tiny_notebook("print(6 * 7)"),
                                                  bwrap="/nonexistent/bwrap")
    assert not events and text(executed.cells[0]).strip() == "42"
    assert record["sandbox"] is None and "bubblewrap" in record["reason"], record
    assert record["namespaces"] == [] and record["network"] is True, record
    from grader.__main__ import sandbox_note
    note = sandbox_note([{"status": "graded", "sandbox": record}])
    assert "WITHOUT a sandbox" in note and "bubblewrap" in note, note
    assert sandbox_note([{"status": "graded", "sandbox": {"sandbox": "bubblewrap 0.8.0"}}]) is None


@pytest.mark.slow
def test_disk_quota_stops_the_cell_and_the_next_cell_runs():
    skip_without_bwrap()
    fill = ("for i in range(40):\n    open(f'f{i}.bin', 'wb').write(b'x' * (1 << 20))\n"
            "import time; time.sleep(5)")
    executed, events, _ = execute_in_run_dir(tiny_notebook("x = 1", fill, "print(x + 1)"),
                                             config.Limits(cell_timeout=60, disk_mb=8))
    assert [e["reason"] for e in events] == [DISK_QUOTA], events
    assert text(executed.cells[2]).strip() == "2"


@pytest.mark.slow
def test_a_hidden_check_past_its_time_is_interrupted_and_the_kernel_lives_on():
    """The grader interrupts a student function that runs too long; in the sandbox the
    interrupt must reach the kernel (not end the sandbox), as it does without one."""
    skip_without_bwrap()
    import numpy as np

    from grader.registry import Exercise
    from grader.trusted import run_check

    def check_double(fn):
        x = np.arange(6.0)
        assert np.allclose(fn(x), 2 * x)

    verdicts, run = {}, make_run_dir()
    (run / "channel").mkdir()   # as the worker makes it: the kernel sees what exists at its start

    def on_grade_cell(grade_id, session):
        exercise = Exercise("test_x", 1, check_double, ("f",), budget=1.0)
        verdicts[grade_id] = run_check(exercise, session.transport(3.0, run / "channel"))
        return verdicts[grade_id].status not in ("time limit", "kernel exited")

    nb = tiny_notebook("def f(x):\n    while True:\n        pass", "print('visible tests')",
                       "print('after')")
    nb.cells[1].metadata["nbgrader"] = {"grade": True, "grade_id": "test_x", "points": 1}
    try:
        box = {"run_dir": str(run), "code": CODE_PATHS, "exclude": EXCLUDED_PATHS}
        executed, events = execute_notebook(nb, run / "work", config.Limits(cell_timeout=60),
                                            kernel_env(run / "home"), box, on_grade_cell)
        record = sandbox.enforced(run)
    finally:
        shutil.rmtree(run, ignore_errors=True)
    assert record["sandbox"], record
    # "kernel exited" when the interrupt ends the sandbox instead of reaching the function
    assert verdicts["test_x"].status == "time limit", verdicts["test_x"].message
    assert text(executed.cells[2]).strip() == "after" and not events


TAMPER_CELL = """import os
run, done = os.path.dirname(os.getcwd()), []
for suffix in (".json", ".npz"):   # where the grader will write its first callback's answer
    os.symlink(os.path.join({victim!r}, "planted" + suffix),
               os.path.join(run, "channel", "recb-1" + suffix))
# where the grader installs the agent for the next kernel
os.symlink(os.path.join({victim!r}, "planted_agent.py"), os.path.join(run, "channel", "agent.py"))
for name in ("channel", "home", "work"):
    path = os.path.join(run, name)
    try:
        os.rename(path, path + ".old")
        os.symlink({victim!r}, path)
        done.append(name)
    except OSError as exc:
        done.append(f"{{name}}: {{exc.strerror}}")
print(done)"""


@pytest.mark.slow
def test_a_kernel_cannot_turn_the_grader_against_the_host():
    """Between kernels the grader works in the run folder as root: a kernel that swaps its
    folders for links to elsewhere and dies must neither get an unsandboxed successor nor have
    root create, copy or chmod anything through those links."""
    if not IS_ROOT:
        pytest.skip("the grader works as the kernel's own user here: no root to turn")
    skip_without_bwrap()
    from grader.registry import Exercise
    from grader.trusted import run_check

    def check_apply(fn):   # the lambda crosses as a callback: the grader answers it by file
        assert fn(lambda v: 2 * v, 3.0) == 6.0

    victim = Path(tempfile.mkdtemp(prefix="sandbox-victim-", dir="/tmp"))
    (victim / "canary").write_text("untouched")
    run = make_run_dir()
    (run / "channel").mkdir()   # as the worker makes it, beside work/ and home/

    verdicts = {}

    def on_grade_cell(grade_id, session):
        exercise = Exercise("test_x", 1, check_apply, ("f",), budget=1.0)
        verdicts[grade_id] = run_check(exercise, session.transport(3.0, run / "channel"))
        return True

    nb = tiny_notebook(TAMPER_CELL.format(victim=str(victim)), "import os\nos._exit(0)",
                       "def f(g, x):\n    return g(x)", "print('visible tests')")
    nb.cells[3].metadata["nbgrader"] = {"grade": True, "grade_id": "test_x", "points": 1}
    try:
        box = {"run_dir": str(run), "code": CODE_PATHS, "exclude": EXCLUDED_PATHS}
        executed, _ = execute_notebook(nb, run / "work", config.Limits(cell_timeout=60),
                                       kernel_env(run / "home"), box, on_grade_cell)
        record = sandbox.enforced(run)
        assert sorted(os.listdir(victim)) == ["canary"], os.listdir(victim)
        assert victim.stat().st_mode & 0o777 == 0o700
        assert record["sandbox"], f"a kernel ran without the sandbox: {record}"
        assert "work" not in text(executed.cells[0]), text(executed.cells[0])
        assert verdicts["test_x"].passed, verdicts["test_x"].message
    finally:
        shutil.rmtree(run, ignore_errors=True)
        shutil.rmtree(victim, ignore_errors=True)
