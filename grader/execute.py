"""Execute a notebook cell by cell under time and memory limits, keeping every cell's credit.

``execute_notebook`` runs the cells in a fresh kernel (nbclient). When a cell hits a limit
(per-cell timeout, memory, the kernel exiting), that cell gets an error output naming the
reason, the kernel is replaced by a new one, the non-grade code cells before it are replayed
to rebuild the state, and execution continues with the next cell. Grade cells never reached
(wall-clock limit, too many kernel deaths) also get an error output.

After each grade cell the executor hands the live kernel to the grader (``on_grade_cell``),
which runs that exercise's hidden check in its own process through a :class:`KernelTransport`.
"""
from __future__ import annotations

import asyncio
import contextlib
import copy
import os
import queue
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import psutil
import zmq.asyncio
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from traitlets import Dict

from . import agent
from .config import Limits
from .kernel import launcher_command
from .registry import nbgrader_meta
from .sandbox import PROBE_DIR, launcher_spec, note_started, resident_limit_mb, tree_entries
from .trusted import CheckStopped

# reasons recorded in the error output (ename) of a cell stopped by the grader
TIMEOUT, OUT_OF_MEMORY, KERNEL_DIED, NOT_RUN = "CellTimeout", "OutOfMemory", "KernelDied", "NotRun"
DISK_QUOTA = "DiskQuota"
BLOCK = 4096   # bytes the disk quota counts at least for each file or folder
MAX_OUTPUT_CHARS = 200_000   # per cell; a print loop cannot fill the grader's memory
MB = 1 << 20


def kernel_env(home: Path, extra: dict | None = None) -> dict:
    """The scrubbed environment of a student kernel: PATH, HOME (a temp dir), LANG and the few
    variables that make execution deterministic and headless."""
    bindir = str(Path(sys.executable).parent)
    env = {
        "PATH": os.pathsep.join([bindir, "/usr/local/bin", "/usr/bin", "/bin"]),
        "HOME": str(home), "TMPDIR": str(home), "LANG": "C.UTF-8",
        "MPLBACKEND": "Agg", "MPLCONFIGDIR": str(Path(home) / ".matplotlib"),
        "IPYTHONDIR": str(Path(home) / ".ipython"),
        "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1",
        "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "NBGRADER_EXECUTION": "autograde",
        # no progress bars: tqdm's (a student's too) default to disabled, course.train shows none
        "TQDM_DISABLE": "1", "COURSE_GRADING": "1",
    }
    env.update(extra or {})
    return env


class LimitedKernelManager(AsyncKernelManager):
    """A kernel manager that starts the kernel through ``grader.kernel`` (rlimits, sandbox) with
    an environment of our choosing instead of the grader's own."""

    launcher_spec = Dict().tag(config=False)   # grader.sandbox.launcher_spec
    kernel_env = Dict().tag(config=False)

    def format_kernel_cmd(self, extra_arguments=None):
        cmd = super().format_kernel_cmd(extra_arguments)
        return launcher_command(self.launcher_spec) + cmd

    @property
    def kernel_spec(self):
        """The kernel spec; a sandboxed kernel is interrupted by a message on its control
        channel, since a SIGINT would reach bubblewrap (and end the sandbox), not the kernel."""
        spec = super().kernel_spec
        if spec is not None and self.launcher_spec.get("sandbox"):
            spec.interrupt_mode = "message"
        return spec

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        env = dict(self.kernel_env)
        env.update({k: v for k, v in kw.get("env", {}).items() if k.startswith("JPY_")})
        kw["env"] = env
        return await super()._async_launch_kernel(kernel_cmd, **kw)


class _Client(NotebookClient):
    """nbclient's client with a cap on the output a cell may produce and a CPU-time limit.

    While a cell runs, its kernel's CPU time (``cpu_now()``, seconds) is metered: past
    ``cpu_limit`` seconds the kernel is interrupted, and killed (``kill_kernel()``) when it does
    not stop within ``GRACE`` seconds; ``cpu_tripped`` then says so. nbclient's own wall-clock
    ``timeout`` is the backstop for a cell that sleeps instead of computing.
    """

    GRACE = 5.0
    cpu_limit = float("inf")
    cpu_tripped = False

    async def _async_poll_for_reply(self, msg_id, cell, timeout, *tasks):
        self.cpu_tripped = False
        meter = asyncio.ensure_future(self._meter_cpu())
        try:
            return await super()._async_poll_for_reply(msg_id, cell, timeout, *tasks)
        finally:
            meter.cancel()

    async def _meter_cpu(self) -> None:
        start = self.cpu_now()
        while self.cpu_now() - start <= self.cpu_limit:
            await asyncio.sleep(0.25)
        self.cpu_tripped = True
        await self.km.interrupt_kernel()
        await asyncio.sleep(self.GRACE)
        self.kill_kernel()

    def output(self, outs, msg, display_id, cell_index):
        content = msg.get("content", {})
        if msg.get("msg_type") == "error":   # the kernel writes these too: a 500 MB message
            _shorten_error(content)
        size = len(content.get("text", "")) + sum(len(str(v)) for v in content.get("data", {}).values())
        used = self._used.get(cell_index, 0) + size
        self._used[cell_index] = used
        if used > MAX_OUTPUT_CHARS:
            if used - size <= MAX_OUTPUT_CHARS:
                outs.append(nbformat.v4.new_output("stream", name="stdout",
                                                   text="\n[output truncated by the grader]\n"))
            return None
        return super().output(outs, msg, display_id, cell_index)


def _shorten_error(content: dict, chars: int = 2000, lines: int = 30) -> None:
    """An error output at most ``chars`` per field and the last ``lines`` traceback lines."""
    content["ename"] = str(content.get("ename", ""))[:chars]
    content["evalue"] = str(content.get("evalue", ""))[:chars]
    content["traceback"] = [str(line)[:chars] for line in list(content.get("traceback", []))[-lines:]]


def _disk_usage(folder: Path, stop_above: float = float("inf")) -> int:
    """Bytes the files and folders under ``folder`` take (links not followed), each at least
    one 4 KB block: an empty file costs an inode, and 300,000 of them slowed the watchdog that
    walks the folder. The walk ends as soon as the total passes ``stop_above``."""
    used = 0
    for entry in tree_entries(folder):
        try:
            used += max(entry.stat(follow_symlinks=False).st_blocks * 512, BLOCK)
        except OSError:
            continue
        if used > stop_above:
            break
    return used


def _process_tree(root: psutil.Process) -> list:
    """``root`` and its descendants (finding them reads the whole of /proc: a few ms)."""
    return [root] + root.children(recursive=True)


def _tree_cpu_seconds(procs) -> float:
    """CPU seconds of ``procs`` and of the children they have reaped: a process that forks
    workers which exit still pays for what they computed."""
    total = 0.0
    for p in procs:
        try:
            t = p.cpu_times()
            total += t.user + t.system + t.children_user + t.children_system
        except psutil.Error:
            pass
    return total


class _Watchdog(threading.Thread):
    """Kills the kernel's process tree when its resident memory exceeds ``limit_bytes`` (0: no
    limit), or, every second, when the files it added to ``folder`` take more than
    ``disk_bytes``. ``reason`` says which (OUT_OF_MEMORY, DISK_QUOTA) or is None. ``procs`` is
    the tree as last seen (every 0.1 s), for the CPU meter to read without scanning /proc again.
    """

    def __init__(self, pid: int, limit_bytes: int, folder: Path | None = None, disk_bytes: int = 0):
        super().__init__(daemon=True)
        self.limit, self.reason = limit_bytes, None
        self.folder, self.disk = (folder, disk_bytes) if folder and disk_bytes else (None, 0)
        self.baseline = _disk_usage(self.folder) if self.folder else 0
        self._stop_event = threading.Event()
        try:
            self.root = psutil.Process(pid)
            self.procs = _process_tree(self.root)
        except psutil.Error:   # the kernel is already gone
            self.root, self.procs = None, []

    def run(self):
        if self.root is None:
            return
        ticks = 0
        while not self._stop_event.wait(0.1):
            ticks += 1
            try:
                self.procs = procs = _process_tree(self.root)
            except psutil.Error:   # the kernel is gone
                return
            try:
                self._measure(procs, check_disk=ticks % 10 == 0)
            except Exception:   # fail closed: a watchdog that cannot measure stops the kernel
                self.reason = DISK_QUOTA
            if self.reason:
                _kill_tree(procs)
                return

    def _measure(self, procs, check_disk: bool) -> None:
        """Set ``reason`` when the process tree or the folder is over its limit."""
        rss = 0
        for p in procs:
            try:
                rss += p.memory_info().rss
            except psutil.Error:
                pass
        if self.limit and rss > self.limit:
            self.reason = OUT_OF_MEMORY
        elif self.folder and check_disk and self._over_quota():
            self.reason = DISK_QUOTA

    def _over_quota(self) -> bool:
        return _disk_usage(self.folder, self.baseline + self.disk) - self.baseline > self.disk

    def stop(self):
        self._stop_event.set()


def _kill_tree(procs):
    for p in procs:
        try:
            p.kill()
        except psutil.Error:
            pass


def _error_output(ename: str, evalue: str):
    return nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


def _is_grade(cell) -> bool:
    return cell.cell_type == "code" and bool(nbgrader_meta(cell).get("grade"))


def _grade_id(cell):
    return nbgrader_meta(cell).get("grade_id")


class _Session:
    """One kernel's life: start, replay, run cells until the end or a fatal event."""

    def __init__(self, nb, cwd: Path, env: dict, limits: Limits, sandbox=None):
        self.km = LimitedKernelManager(kernel_name="python3")
        name = "kernel"
        if sandbox:   # the connection file and (ipc: the kernel has no network) the sockets
            self.run_dir = Path(sandbox["run_dir"])   # lie in the run folder, which it sees
            name = f"kernel-{os.urandom(4).hex()}"
            self.km.transport = "ipc"
            (self.run_dir / "kernel").mkdir(exist_ok=True)   # the kernel sees subfolders only
            self.km.connection_file = str(self.run_dir / "kernel" / f"{name}.json")
            self.record = self.run_dir / PROBE_DIR / f"{name}.json"
        self.sandboxed, self.bwrap = bool(sandbox), (sandbox or {}).get("bwrap")
        self.km.launcher_spec = launcher_spec(limits, sandbox, name)
        self.km.kernel_env = env
        self.client = _Client(nb, km=self.km, allow_errors=True, shutdown_kernel="immediate",
                              startup_timeout=120, iopub_timeout=5, record_timing=False)
        self.client._used = {}
        self.client.cpu_now, self.client.kill_kernel = self.cpu_seconds, self.kill
        self.cwd, self.limits = cwd, limits
        self.watchdog = None

    def __enter__(self):
        self._ctx = self.client.setup_kernel(cwd=str(self.cwd), stdout=subprocess.DEVNULL,
                                              stderr=subprocess.DEVNULL)
        self._ctx.__enter__()
        self.pid = self.km.provisioner.pid
        if self.sandboxed:
            note_started(self.record, self.pid, self.bwrap)
        memory = resident_limit_mb(self.limits, self.sandboxed) * MB if self.limits.memory_mb else 0
        folder = self.run_dir if self.sandboxed else None
        if memory or folder:
            self.watchdog = _Watchdog(self.pid, memory, folder, self.limits.disk_mb * MB)
            self.watchdog.start()
        return self

    def kill(self) -> None:
        """SIGKILL the kernel and everything it started."""
        try:
            procs = _process_tree(psutil.Process(self.pid))
        except psutil.Error:
            procs = []
        _kill_tree(procs)

    def __exit__(self, *exc):
        if self.watchdog:
            self.watchdog.stop()
        self.kill()
        try:
            self._ctx.__exit__(None, None, None)
        except Exception:   # the kernel is already gone; nothing left to clean
            pass
        return False

    def transport(self, cpu_budget: float, channel: Path) -> KernelTransport:
        """A transport to this kernel for one hidden check allowed ``cpu_budget`` CPU seconds."""
        return KernelTransport(self, cpu_budget, channel)

    def cpu_seconds(self) -> float:
        """CPU time used so far by the kernel's process tree (the watchdog's view of it, at
        most 0.1 s old, when one runs)."""
        if self.watchdog is not None:
            return _tree_cpu_seconds(self.watchdog.procs)
        try:
            return _tree_cpu_seconds(_process_tree(psutil.Process(self.pid)))
        except psutil.Error:
            return 0.0

    def run(self, cell, index, cpu_limit: float, wall_limit: float):
        """Execute one cell for at most ``cpu_limit`` CPU seconds of the kernel's process tree
        and ``wall_limit`` wall-clock seconds; return None, or the reason it was stopped."""
        self.client.cpu_limit = cpu_limit
        self.client.timeout = max(1, int(round(wall_limit)))
        try:
            self.client.execute_cell(cell, index)
            return TIMEOUT if self.client.cpu_tripped else None
        except CellTimeoutError:
            return TIMEOUT
        except DeadKernelError:
            if self.client.cpu_tripped:
                return TIMEOUT
            return (self.watchdog and self.watchdog.reason) or KERNEL_DIED


def execute_notebook(nb: nbformat.NotebookNode, cwd: Path, limits: Limits = Limits(),
                     env: dict | None = None, sandbox: dict | None = None,
                     on_grade_cell=None) -> tuple[nbformat.NotebookNode, list[dict]]:
    """Execute ``nb`` in ``cwd`` under ``limits``; return the executed copy and the events.

    Each event is ``{"cell": index, "grade_id": id or None, "reason": one of TIMEOUT,
    OUT_OF_MEMORY, KERNEL_DIED, NOT_RUN, "message": str}``. A stopped cell keeps the outputs
    it produced and gets an error output whose ``ename`` is the reason, so nbgrader gives
    it zero points; the other cells keep the credit they earn. ``sandbox``: ``{"run_dir": the
    kernel's own folder holding ``cwd``, "code": read-only folders it may import, "exclude":
    paths in them to hide}`` runs the kernel in a bubblewrap sandbox (``grader.sandbox``; what
    was in force: ``grader.sandbox.enforced(run_dir)``); None runs it without one.
    ``on_grade_cell(grade_id, session)``: called after each grade cell that ran to its end (its
    visible tests may have failed); returns False when the kernel died in the hidden check.
    """
    nb = copy.deepcopy(nb)
    env = env if env is not None else kernel_env(Path(cwd))
    # the notebook's CPU seconds, and a wall-clock backstop for kernels that sleep
    deadline = time.monotonic() + limits.notebook_timeout * limits.wall_factor
    spent = 0.0   # CPU seconds of the kernels that already ended
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    fatal: set[int] = set()
    events: list[dict] = []
    pos, restarts, start_error = 0, 0, ""

    def stop_cell(i, reason, message):
        nb.cells[i].outputs.append(_error_output(reason, message))
        fatal.add(i)
        events.append({"cell": i, "grade_id": _grade_id(nb.cells[i]), "reason": reason, "message": message})

    def cell_limits(session):
        """(CPU, wall-clock) seconds the next cell may use, and whether the notebook's own
        limit is the tighter one."""
        cpu_left = limits.notebook_timeout - spent - session.cpu_seconds()
        cpu = min(limits.cell_timeout, cpu_left)
        wall = min(limits.cell_timeout * limits.wall_factor, deadline - time.monotonic())
        return cpu, wall, cpu < limits.cell_timeout or wall < limits.cell_timeout * limits.wall_factor

    def messages(reason, seconds):
        return {TIMEOUT: f"stopped after {seconds:.0f} s (time limit per cell: "
                         f"{limits.cell_timeout:.0f} s of CPU time)",
                OUT_OF_MEMORY: f"stopped: the kernel used more than {limits.memory_mb} MB of memory",
                DISK_QUOTA: f"stopped: the kernel wrote more than {limits.disk_mb} MB of files "
                            "(each file or folder counts at least 4 KB)",
                KERNEL_DIED: "the kernel exited or crashed while running this cell"}[reason]

    used_up = (f"stopped: the notebook used up its {limits.notebook_timeout:.0f} s of CPU time "
               f"(or {limits.notebook_timeout * limits.wall_factor:.0f} s of wall-clock time)")
    while (pos < len(code) and restarts <= limits.max_restarts and time.monotonic() < deadline
           and spent < limits.notebook_timeout):
        try:
            session = _Session(nb, Path(cwd), env, limits, sandbox).__enter__()
        except Exception as exc:   # the kernel did not start: nothing can run
            restarts += 1
            start_error = f"kernel failed to start: {type(exc).__name__}: {exc}"
            continue
        start_error = ""
        try:
            # rebuild the state: replay the non-grade code cells before `pos` on copies
            replay_failed = False
            for i in code[:pos]:
                if i in fatal or _is_grade(nb.cells[i]):
                    continue
                cpu, wall, _ = cell_limits(session)
                if cpu <= 0 or wall <= 0:
                    break
                if session.run(copy.deepcopy(nb.cells[i]), i, cpu, wall):
                    fatal.add(i)   # it broke the kernel this time: skip it in the next replay
                    restarts += 1
                    replay_failed = True
                    break
            if replay_failed:
                continue
            while pos < len(code):
                i = code[pos]
                cpu, wall, notebook_bound = cell_limits(session)
                if cpu <= 0 or wall <= 0:
                    break
                started = time.monotonic()
                reason = session.run(nb.cells[i], i, cpu, wall)
                pos += 1
                if reason is None and on_grade_cell and _is_grade(nb.cells[i]):
                    if on_grade_cell(_grade_id(nb.cells[i]), session) is False:
                        restarts += 1
                        break   # the check ended the kernel: a new one replays the state
                if reason is not None:
                    if reason == TIMEOUT and notebook_bound:
                        stop_cell(i, TIMEOUT, used_up)
                    else:
                        stop_cell(i, reason, messages(reason, time.monotonic() - started))
                    restarts += 1
                    break
        finally:
            spent += session.cpu_seconds()
            session.__exit__(None, None, None)

    if pos < len(code):
        if time.monotonic() >= deadline or spent >= limits.notebook_timeout:
            why = f"not run: {used_up[len('stopped: '):]}"
        elif start_error:
            why = f"not run: {start_error}"
        else:
            why = f"not run: the kernel was restarted {restarts} times"
        for i in code[pos:]:
            if _is_grade(nb.cells[i]):
                stop_cell(i, NOT_RUN, why)
    return nb, events


class KernelTransport:
    """Carries hidden-check requests to a live kernel and its replies back.

    Requests and replies are files in ``channel`` (a folder of the kernel's run directory);
    the kernel's agent (``grader.agent``, installed on first use) is triggered by a silent
    execute request and asks for grader-side callables through ``input()`` prompts on the stdin
    channel. The CPU time of the kernel and of the grader-side callables it asks for is metered
    per check: past ``cpu_budget`` seconds (or ten times that in wall-clock time, for a kernel
    that sleeps) the call is interrupted, and a kernel that does not come back is killed.
    """

    GRACE = 5.0   # seconds an interrupted kernel gets to return

    def __init__(self, session: _Session, cpu_budget: float, channel: Path):
        self.session, self.channel = session, Path(channel)
        self.cpu_left, self.wall_left = cpu_budget, 10 * cpu_budget
        self.count = 0
        self.callback_cpu = 0.0   # CPU seconds this process spent in the kernel's callbacks

    def request(self, message: dict, arrays: dict, callback) -> tuple[dict, dict]:
        if not getattr(self.session, "agent_ready", False):
            self._install_agent()
        self.count += 1
        stem = self.channel / f"req-{os.urandom(6).hex()}"
        agent.write_message(stem, message, arrays)
        try:
            run_sync(self._serve)(f"__grader__.serve({stem.name[4:]!r})", callback)
            try:
                return agent.read_message(self.channel / f"rep-{stem.name[4:]}")
            except Exception as exc:   # no usable reply: the kernel's side of the channel broke
                return {"raised": f"no answer came back from the kernel ({type(exc).__name__})"}, {}
        finally:
            self._clear_channel()

    def _clear_channel(self) -> None:
        """Delete the messages of a finished request (they would count against the kernel's
        disk quota: 101 MB of the 512 MB for notebook 06's reference)."""
        with os.scandir(self.channel) as entries:
            for entry in entries:
                if entry.name.startswith(("req-", "rep-", "cb-", "recb-")):
                    with contextlib.suppress(OSError):
                        os.unlink(entry.path)

    def _install_agent(self) -> None:
        self.channel.mkdir(parents=True, exist_ok=True)
        self.channel.chmod(0o777)   # the sandboxed kernel runs as its own user and writes replies
        # the kernel owns this folder: a link it left at agent.py is removed, never followed
        agent.write_new(self.channel / "agent.py", Path(agent.__file__).read_bytes())
        code = (f"__grader_scope__ = {{'__name__': 'grader_agent'}}\n"
                f"exec(compile(open({str(self.channel / 'agent.py')!r}).read(), 'grader-agent', "
                f"'exec'), __grader_scope__)\n"
                f"__grader__ = __grader_scope__['FileChannel']({str(self.channel)!r}, "
                f"get_ipython().user_ns)\n"
                f"del __grader_scope__\n")
        run_sync(self._serve)(code, None)
        self.session.agent_ready = True

    async def _serve(self, code: str, callback) -> None:
        kc = self.session.client.kc
        msg_id = kc.execute(code, silent=True, store_history=False, allow_stdin=True)
        cpu0, wall0 = self.cpu_used(), time.monotonic()
        interrupted = None
        # wake on the reply or on a callback request, whichever comes first: a training loop
        # graded with references asks for hundreds of callbacks, each waiting a whole poll
        # period before (10 of the 16 s that grading notebook 01 took)
        poller = zmq.asyncio.Poller()
        for channel in (kc.shell_channel, kc.stdin_channel):
            poller.register(channel.socket, zmq.POLLIN)
        while True:
            await poller.poll(50)
            try:
                reply = await kc.get_shell_msg(timeout=0)
                if reply.get("parent_header", {}).get("msg_id") == msg_id:
                    break
            except queue.Empty:
                pass
            await self._answer_callbacks(kc, callback)
            await _drain_iopub(kc)
            cpu, wall = self.cpu_used() - cpu0, time.monotonic() - wall0
            if interrupted is None and (cpu > self.cpu_left or wall > self.wall_left):
                interrupted = time.monotonic()
                await self.session.km.interrupt_kernel()
            elif interrupted is not None and time.monotonic() - interrupted > self.GRACE:
                raise CheckStopped("time limit", "stopped: your function ran past the time limit")
            if not await self.session.km.is_alive():
                raise CheckStopped("kernel exited", "the kernel exited or crashed while your "
                                                    "function ran")
        self.cpu_left -= self.cpu_used() - cpu0
        self.wall_left -= time.monotonic() - wall0
        if interrupted is not None:
            raise CheckStopped("time limit", "stopped: your function ran past the time limit")

    def cpu_used(self) -> float:
        """CPU seconds of the kernel's process tree plus those of the callbacks it asked for."""
        return self.session.cpu_seconds() + self.callback_cpu

    async def _answer_callbacks(self, kc, callback) -> None:
        try:
            msg = await kc.get_stdin_msg(timeout=0)
        except queue.Empty:
            return
        prompt = str(msg.get("content", {}).get("prompt", ""))
        answer = "none"
        asked = re.fullmatch(r"grader-callback (cb-\d+)", prompt.strip())
        if callback is not None and asked:   # a name of the channel, not a path elsewhere
            name = asked.group(1)
            started = time.process_time()
            try:
                request, arrays = agent.read_message(self.channel / name)
                reply, reply_arrays = callback(request, arrays)
            except Exception as exc:
                reply, reply_arrays = {"raised": agent.raised(exc)}, {}
            self.callback_cpu += time.process_time() - started
            answer = "re" + name
            agent.write_message(self.channel / answer, reply, reply_arrays)
        kc.input(answer)


async def _drain_iopub(kc, limit: int = 200) -> None:
    """Drop what the kernel prints while the grader calls it (it counts for nothing)."""
    for _ in range(limit):
        try:
            await kc.get_iopub_msg(timeout=0)
        except queue.Empty:
            return
