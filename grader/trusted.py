"""Hidden checks decided in the grader's process.

A check (``Exercise.check`` of the registry) receives :class:`Proxy` objects in place of the
student's functions. Calling one sends the arguments to the kernel (``grader.agent``), where the
student's function runs; the proxy returns what came back and copies the arguments' in-place
changes onto the live arguments, so a check reads like an ordinary test of a Python function.
Expected values are computed here, with the instructor's ``course``; they never cross into the
kernel. The check's verdict is the score: nothing the kernel prints or displays counts.

Transports carry one request to the kernel and its reply back: :class:`LocalTransport` runs the
agent in this process on a namespace (the bug-catalog harness and the tests),
``grader.execute`` has the one that talks to a real kernel.
"""
from __future__ import annotations

import contextlib
import inspect
import json
import resource
from dataclasses import dataclass, field

import numpy as np
import psutil

from .agent import Codec, KernelAgent, raised, sync

# What a check keeps of the kernel's replies for the diagnosis: past this many bytes of arrays it
# stops recording (a student's answers could otherwise fill the grader's memory call by call)
# and the exercise is not diagnosed.
TRANSCRIPT_BYTES = 64 << 20
# A grader-side callable runs on arguments the kernel chose: it may grow this process's address
# space by this much, then allocating fails with MemoryError (raised to the student's function).
CALLBACK_BYTES = 1 << 30


class StudentRaised(AssertionError):
    """The student's function raised instead of returning."""


class CheckStopped(Exception):
    """A limit stopped the student's function (``reason``: time limit, kernel died, ...)."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


@dataclass
class Verdict:
    """The trusted outcome of one exercise."""

    grade_id: str
    passed: bool
    message: str = ""
    status: str = ""                                  # passed, failed, or the limit that stopped it
    # (name, reply JSON, arrays) per call; None when too large to keep (not diagnosed)
    transcript: list | None = field(default_factory=list, repr=False)

    def __post_init__(self):
        self.status = self.status or ("passed" if self.passed else "failed")


class Handle:
    """An object the student's code made that stays in the kernel (e.g. a cache it returned)."""

    def __init__(self, node: dict):
        self.id, self.type_name = int(node["id"]), str(node.get("v", "object"))

    def __repr__(self):
        return f"<a {self.type_name} object>"


class CheckSession:
    """What one check run knows: the transport, the grader-side callables handed to the kernel
    (references, functions passed as arguments) and the transcript of every call."""

    def __init__(self, transport, may_change=()):
        self.transport, self.may_change = transport, set(may_change)
        self.callables: list = []
        self.transcript: list | None = []   # None once it outgrew TRANSCRIPT_BYTES
        self.transcript_bytes = 0
        self.active: list = []   # (args, kwargs) of the proxy calls in progress
        self.capped = False      # a callback's address-space cap is in force

    def outgoing(self) -> Codec:
        return Codec(callable_node=self.callable_node, object_node=self._unsendable)

    def incoming(self, arrays) -> Codec:
        return Codec(arrays, resolve=self._resolve)

    def callable_node(self, fn) -> dict:
        if isinstance(fn, Proxy):
            raise TypeError("a student function cannot be passed back to the kernel")
        self.callables.append(fn)
        return {"t": "cb", "id": len(self.callables) - 1, "v": getattr(fn, "__name__", "function")}

    def _unsendable(self, obj) -> dict:
        if isinstance(obj, Handle):
            return {"t": "handle", "id": obj.id}
        raise TypeError(f"cannot send a {type(obj).__name__} to the kernel")

    @staticmethod
    def _resolve(node):
        if node["t"] == "handle":
            return Handle(node)
        raise ValueError("the kernel sent a value of an unknown kind")

    def request(self, message: dict, arrays: dict) -> tuple[dict, dict]:
        return self.transport.request(message, arrays, self.serve_callback)

    def serve_callback(self, message: dict, arrays: dict) -> tuple[dict, dict]:
        """Run a grader-side callable the kernel asked for (a reference, a test function)."""
        try:
            fn = self.callables[int(message["id"])]
            incoming = self.incoming(arrays)
            args, kwargs = incoming.decode(message["args"])
            if self.active and "outer" in message:
                sync(*self.active[-1], incoming.decode(message["outer"]))
            with self._address_space_cap():
                out = fn(*args, **kwargs)
                codec = self.outgoing()
                reply = {"out": codec.encode(out), "args_after": codec.encode([args, kwargs])}
                if self.active:
                    reply["outer"] = codec.encode([list(self.active[-1][0]), self.active[-1][1]])
            return reply, codec.arrays
        except Exception as exc:
            return {"raised": raised(exc)}, {}

    @contextlib.contextmanager
    def _address_space_cap(self):
        """While the outermost callback runs, this process's address space may grow by at most
        CALLBACK_BYTES: a reference asked to broadcast (1, 15000) against (15000, 1) fails with
        MemoryError instead of taking gigabytes of the grading machine."""
        if self.capped:
            yield
            return
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        cap = psutil.Process().memory_info().vms + CALLBACK_BYTES
        if soft != resource.RLIM_INFINITY:
            cap = min(cap, soft)
        if hard != resource.RLIM_INFINITY:
            cap = min(cap, hard)
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
        self.capped = True
        try:
            yield
        finally:
            self.capped = False
            resource.setrlimit(resource.RLIMIT_AS, (soft, hard))

    def record(self, name: str, reply: dict, arrays: dict) -> None:
        """Keep one reply for the diagnosis, while the transcript is within TRANSCRIPT_BYTES."""
        if self.transcript is None:
            return
        self.transcript_bytes += sum(a.nbytes for a in arrays.values()) + len(json.dumps(reply))
        if self.transcript_bytes > TRANSCRIPT_BYTES:
            self.transcript = None
        else:
            self.transcript.append((name, reply, arrays))

    def bind(self, names, adapter=None) -> list[Proxy]:
        """Proxies for the student's names (after the adapter, for exercises that are classes)."""
        message = {"op": "bind", "names": list(names)}
        if adapter is not None:
            message["adapter"] = {"name": adapter.__name__, "source": inspect.getsource(adapter)}
        reply, _ = self.request(message, {})
        if "raised" in reply:
            first = names[0] if len(names) == 1 else ", ".join(names)
            raise StudentRaised(f"the notebook does not define {first} ({reply['raised']})")
        labels = names if adapter is None else [adapter.__name__] * len(reply["handles"])
        return [Proxy(self, int(h), label) for h, label in zip(reply["handles"], labels)]


class Proxy:
    """Stands in for a student function: calls it in the kernel on copies of the arguments."""

    def __init__(self, session: CheckSession, handle: int, name: str, replace=None):
        self.session, self.handle, self.__name__ = session, handle, name
        self.replace = dict(replace or {})

    def with_globals(self, **replacements) -> Proxy:
        """The same function, seeing grader-side callables under some global names (a later
        exercise graded with the references of the earlier ones it calls)."""
        return Proxy(self.session, self.handle, self.__name__, {**self.replace, **replacements})

    def __call__(self, *args, **kwargs):
        session = self.session
        codec = session.outgoing()
        message = {"op": "call", "handle": self.handle, "args": codec.encode(list(args)),
                   "kwargs": codec.encode(kwargs),
                   "replace": {k: codec.callable_node(v)["id"] for k, v in self.replace.items()}}
        session.active.append((list(args), kwargs))
        try:
            reply, arrays = session.request(message, codec.arrays)
        finally:
            session.active.pop()
        session.record(self.__name__, reply, arrays)
        if "raised" in reply:
            raise StudentRaised(_raised_message(self.__name__, str(reply["raised"])))
        try:
            incoming = session.incoming(arrays)
            out = incoming.decode(reply["out"])
            args_after, kwargs_after = incoming.decode(reply["args_after"])
        except Exception as exc:
            raise AssertionError(f"{self.__name__} returned something that cannot be read "
                                 f"({type(exc).__name__})") from None
        _check_unchanged(self.__name__, list(args), args_after, self.session.may_change)
        sync(list(args), kwargs, (args_after, kwargs_after))
        return out


def _arrays(value, where: str):
    """(description, array) for the arrays in an argument, looking into tuples and lists."""
    if isinstance(value, np.ndarray):
        yield where, value
    elif isinstance(value, (tuple, list)):
        for i, item in enumerate(value):
            yield from _arrays(item, f"{where}[{i}]")


def _check_unchanged(name: str, before: list, after: list, may_change: set) -> None:
    """The contract of every exercise: array arguments come back as they went in."""
    for i, (b, a) in enumerate(zip(before, after)):
        if i in may_change:
            continue
        for (where, x), (_, y) in zip(_arrays(b, f"argument {i + 1}"), _arrays(a, "")):
            if not same_array(x, y, rtol=0, atol=0):
                raise AssertionError(
                    f"your {name} changed its {where} in place (shape {x.shape}); leave the "
                    "inputs as they are: work on a copy (x = x.copy()) or build new arrays.")


def _raised_message(name: str, what: str) -> str:
    if what.startswith("NotImplementedError"):
        return f"not attempted yet: {name} still raises NotImplementedError"
    return f"{name} raised {what}"


def run_check(exercise, transport) -> Verdict:
    """Run one registered exercise's hidden check against the student's work behind ``transport``.

    Every outcome becomes a verdict: a wrong answer (the check's message), an exception of the
    student's function, a limit, or an answer the check could not use.
    """
    session = CheckSession(transport, exercise.may_change)

    def verdict(passed, message="", status=""):
        return Verdict(exercise.grade_id, passed, message, status, session.transcript)

    try:
        proxies = session.bind(exercise.functions, exercise.adapter)
        exercise.check(*proxies)
    except CheckStopped as stop:
        return verdict(False, str(stop), stop.reason)
    except AssertionError as exc:
        return verdict(False, _first_line(exc) or "a hidden test failed")
    except Exception as exc:   # e.g. a TypeError while the check read a strange answer
        return verdict(False, f"the hidden test could not use your answer ({raised(exc)})")
    return verdict(True)


def _first_line(exc) -> str:
    return (str(exc).strip().splitlines() or [""])[0][:500]


class LocalTransport:
    """The agent in this process, on a namespace of already defined functions.

    Messages still go through JSON and copied arrays, exactly as they would to a kernel."""

    def __init__(self, namespace: dict):
        self.namespace = namespace
        self._callback = None
        self.agent = KernelAgent(namespace, lambda m, a: self._callback(*_crossed(m, a)))

    def request(self, message, arrays, callback):
        self._callback = callback
        reply, reply_arrays = self.agent.handle(*_crossed(message, arrays))
        return _crossed(reply, reply_arrays)


def _crossed(message, arrays):
    """What the other side receives: parsed JSON and copies of the arrays."""
    return json.loads(json.dumps(message)), {k: np.array(v, copy=True) for k, v in arrays.items()}


def same_transcript(a: list, b: list, rtol: float = 1e-6, atol: float = 1e-9) -> bool:
    """Whether two check runs saw the same answers from the student's side, call by call (a
    transcript too large to keep, None, matches nothing)."""
    if not a or not b or len(a) != len(b):
        return False
    return all(na == nb and same_node(ra, rb, aa, ab, rtol, atol)
               for (na, ra, aa), (nb, rb, ab) in zip(a, b))


def same_node(x, y, arrays_x, arrays_y, rtol=1e-6, atol=1e-9) -> bool:
    """Whether two encoded values agree: same structure, arrays and floats within tolerance."""
    if isinstance(x, dict) and isinstance(y, dict):
        if x.get("t") != y.get("t") or x.keys() != y.keys():
            return False
        if x.get("t") in ("arr", "scalar"):
            return same_array(arrays_x[x["k"]], arrays_y[y["k"]], rtol, atol)
        if x.get("t") == "float":
            return bool(np.isclose(float(x["v"]), float(y["v"]), rtol=rtol, atol=atol,
                                   equal_nan=True))
        if x.get("t") == "handle":
            return x.get("v") == y.get("v")
        return all(same_node(x[k], y[k], arrays_x, arrays_y, rtol, atol) for k in x if k != "k")
    if isinstance(x, list) and isinstance(y, list):
        return len(x) == len(y) and all(same_node(u, v, arrays_x, arrays_y, rtol, atol)
                                        for u, v in zip(x, y))
    return x == y


def same_array(a, b, rtol=1e-6, atol=1e-9) -> bool:
    """The one array comparison of the grader: shape, dtype kind, values within tolerance."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return False
    if not (np.issubdtype(a.dtype, np.number) and np.issubdtype(b.dtype, np.number)):
        return bool(np.array_equal(a, b))
    return bool(np.allclose(a.astype(np.complex128 if np.iscomplexobj(a) else float),
                            b.astype(np.complex128 if np.iscomplexobj(b) else float),
                            rtol=rtol, atol=atol, equal_nan=True))
