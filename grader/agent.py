"""The grader's agent inside a student's kernel, and the value codec both sides share.

Hidden checks run in the grader's process (``grader.trusted``). When a check calls a student
function, the request crosses into the kernel as plain JSON plus arrays (``.npz`` without
pickles), this agent calls the function there, and the reply carries back the return value and
the arguments as the call left them. Nothing secret ever enters the kernel: inputs only, never
an expected value.

The kernel executes this file's source (it cannot import ``grader``), so it depends on NumPy
and the standard library only. Whatever the agent sends back counts as what the student's
function returned; a student who tampers with the agent can only change their own answers.

Encoded values are JSON nodes ``{"t": type, ...}``: ``none``, ``bool``, ``int``, ``float``,
``scalar`` (a NumPy scalar with its dtype), ``dtype`` and ``pytype`` (a dtype or scalar type
passed as an argument), ``str``, ``arr`` (key into the arrays), ``tuple``,
``list``, ``dict`` (string keys), ``iter`` (a drained iterator), ``rng`` (a
``np.random.Generator``'s state), ``cb`` (a callable of the other side) and ``handle`` (an
object that stays in the kernel, such as a student's cache object).
"""

from __future__ import annotations

import json
import os
import stat
import types
from pathlib import Path

import numpy as np

MAX_ITEMS = 10_000  # longest iterator or container read from a student's answer
MAX_STR = 10_000
MAX_MESSAGE_BYTES = 512 << 20  # one request or reply: its files and its arrays uncompressed
MAX_JSON_BYTES = 16 << 20  # its JSON part (MAX_ITEMS and MAX_STR make more of it useless)
ARRAY_KINDS = "biufc"  # bool, integers, floats, complex: nothing that needs pickles
BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")


class Codec:
    """Encodes values into JSON nodes plus a dict of arrays, and decodes them back.

    Parameters
    ----------
    arrays : dict
        The arrays of the message being decoded (empty when encoding).
    callable_node : callable
        ``fn -> node`` for a callable being encoded (the side decides what a callable becomes).
    object_node : callable
        ``obj -> node`` for any other value that has no JSON form.
    resolve : callable
        ``node -> value`` for ``cb`` and ``handle`` nodes being decoded.
    """

    def __init__(self, arrays=None, *, callable_node=None, object_node=None, resolve=None):
        self.arrays = dict(arrays or {})
        self.callable_node = callable_node
        self.object_node = object_node or (lambda obj: {"t": "opaque", "v": type(obj).__name__})
        self.resolve = resolve

    # ------------------------------------------------------------------ encoding
    def encode(self, value, depth: int = 0):
        if depth > 50:
            return {"t": "opaque", "v": "too deeply nested"}
        if value is None:
            return {"t": "none"}
        if isinstance(value, (bool, np.bool_)) and not isinstance(value, np.ndarray):
            return {"t": "bool", "v": bool(value)}
        if isinstance(value, np.generic):
            if value.dtype.kind not in ARRAY_KINDS:
                return self.object_node(value)
            return {
                "t": "scalar",
                "dtype": value.dtype.str,
                "k": self._array_key(np.asarray(value)),
            }
        if isinstance(value, int):
            return {"t": "int", "v": int(value)}
        if isinstance(value, float):
            return {"t": "float", "v": repr(float(value))}
        if isinstance(value, str):
            return {"t": "str", "v": str(value)[:MAX_STR]}
        if isinstance(value, np.ndarray):
            arr = np.array(value, copy=True, subok=False)
            if arr.dtype.kind not in ARRAY_KINDS:
                return self.object_node(value)
            return {"t": "arr", "k": self._array_key(arr)}
        if isinstance(value, np.dtype) or (
            isinstance(value, type) and issubclass(value, np.generic)
        ):
            return {"t": "dtype", "v": np.dtype(value).str, "type": isinstance(value, type)}
        if value in (float, int, bool, complex):
            return {"t": "pytype", "v": value.__name__}
        if isinstance(value, np.random.Generator):
            return {"t": "rng", "state": _jsonable_state(value.bit_generator.state)}
        if isinstance(value, (tuple, list)):
            items = list(value)[:MAX_ITEMS]
            return {
                "t": type(value).__name__ if type(value) in (tuple, list) else "list",
                "v": [self.encode(v, depth + 1) for v in items],
            }
        if isinstance(value, dict):
            if not all(isinstance(k, str) for k in value):
                return self.object_node(value)
            return {
                "t": "dict",
                "v": {k: self.encode(v, depth + 1) for k, v in list(value.items())[:MAX_ITEMS]},
            }
        if is_iterator(value):
            return {"t": "iter", "v": [self.encode(v, depth + 1) for v in take(value)]}
        if callable(value) and self.callable_node is not None and not isinstance(value, type):
            return self.callable_node(value)
        return self.object_node(value)

    def _array_key(self, arr) -> str:
        key = f"a{len(self.arrays)}"
        self.arrays[key] = arr
        return key

    # ------------------------------------------------------------------ decoding
    def decode(self, node, depth: int = 0):
        if depth > 50 or not isinstance(node, dict):
            raise ValueError("malformed value")
        t = node.get("t")
        if t == "none":
            return None
        if t == "bool":
            return bool(node["v"])
        if t == "int":
            return int(node["v"])
        if t == "float":
            return float(node["v"])
        if t == "str":
            return str(node["v"])[:MAX_STR]
        if t == "scalar":
            return self._array(node["k"]).astype(plain_dtype(node["dtype"]))[()]
        if t == "arr":
            return self._array(node["k"])
        if t == "dtype":
            dtype = plain_dtype(node["v"])
            return dtype.type if node.get("type") else dtype
        if t == "pytype":
            return {"float": float, "int": int, "bool": bool, "complex": complex}[node["v"]]
        if t == "rng":
            state = node["state"]
            if state.get("bit_generator") not in BIT_GENERATORS:
                raise ValueError("a random generator of an unknown kind")
            rng = np.random.Generator(getattr(np.random, state["bit_generator"])())
            rng.bit_generator.state = state
            return rng
        if t in ("tuple", "list", "iter"):
            items = [self.decode(v, depth + 1) for v in node["v"][:MAX_ITEMS]]
            return tuple(items) if t == "tuple" else iter(items) if t == "iter" else items
        if t == "dict":
            return {
                str(k): self.decode(v, depth + 1) for k, v in list(node["v"].items())[:MAX_ITEMS]
            }
        if t in ("cb", "handle", "opaque") and self.resolve is not None:
            return self.resolve(node)
        raise ValueError(f"unknown value type {t!r}")

    def _array(self, key):
        arr = self.arrays[key]
        if not isinstance(arr, np.ndarray) or arr.dtype.kind not in ARRAY_KINDS:
            raise ValueError("an array of an unsupported type")
        return np.array(arr, copy=True)


def plain_dtype(text) -> np.dtype:
    """The dtype ``text`` names, if it is one number type: no subarray dtype such as
    ``(16000, 16000)<f8``, whose scalar would be a 2 GB array, no fields, no objects."""
    dtype = np.dtype(str(text))
    if dtype.kind not in ARRAY_KINDS or dtype.shape != () or dtype.names is not None:
        raise ValueError(f"an unsupported dtype {str(text)[:40]!r}")
    return dtype


def _jsonable_state(state):
    """A bit generator's state as JSON-safe values (NumPy integers become ints)."""
    if isinstance(state, dict):
        return {k: _jsonable_state(v) for k, v in state.items()}
    if isinstance(state, np.ndarray):
        return state.tolist()
    if isinstance(state, np.integer):
        return int(state)
    return state


def is_iterator(value) -> bool:
    return isinstance(value, types.GeneratorType) or (
        hasattr(value, "__next__")
        and hasattr(value, "__iter__")
        and not isinstance(value, (np.ndarray, str, bytes))
    )


def take(iterator):
    out = []
    for item in iterator:
        if len(out) >= MAX_ITEMS:
            break
        out.append(item)
    return out


def _new_file(path: str):
    """``path`` opened for writing as a new file: whatever the other side left there (a file,
    a link) is removed, never followed, since the grader may write here as root."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644),
                     "wb")


def write_new(path, data: bytes) -> None:
    """Write ``data`` to ``path`` as a new file (never through a link the other side left)."""
    with _new_file(str(path)) as f:
        f.write(data)


def _own_file(path: str, max_bytes: int):
    """``path`` opened for reading, refused when it is a link, not a regular file (a FIFO would
    block the reader forever) or larger than ``max_bytes``."""
    f = os.fdopen(os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK), "rb")
    info = os.fstat(f.fileno())
    if not stat.S_ISREG(info.st_mode) or info.st_size > max_bytes:
        f.close()
        raise ValueError(f"a reply that is not a regular file of at most {max_bytes >> 20} MB")
    return f


def write_message(stem: Path, message: dict, arrays: dict) -> None:
    """``stem.json`` and ``stem.npz`` (arrays saved without pickles)."""
    with _new_file(f"{stem}.npz") as f:
        np.savez(f, _=np.zeros(0), **arrays)
    with _new_file(f"{stem}.json") as f:
        f.write(json.dumps(message).encode())


def read_message(stem: Path, max_bytes: int = MAX_MESSAGE_BYTES) -> tuple[dict, dict]:
    """The message at ``stem`` as (JSON, arrays); refuses pickles, links, FIFOs, JSON of more
    than MAX_JSON_BYTES and arrays (uncompressed, as their headers declare) of more than
    ``max_bytes``."""
    with _own_file(f"{stem}.json", min(max_bytes, MAX_JSON_BYTES)) as f:
        message = json.loads(f.read())
    with _own_file(f"{stem}.npz", max_bytes) as f, np.load(f, allow_pickle=False) as npz:
        declared = sum(info.file_size for info in npz.zip.infolist())
        if declared > max_bytes:   # a small compressed file may inflate to gigabytes
            raise ValueError(f"arrays of {declared >> 20} MB, more than {max_bytes >> 20} MB")
        arrays = {k: npz[k] for k in npz.files if k != "_"}
    return message, arrays


def restore(live, after) -> None:
    """Copy in-place changes made on the other side onto the live values, pairwise: arrays
    (same shape), dicts (replaced contents) and generators (their state)."""
    for cur, new in zip(live, after):
        if isinstance(cur, np.ndarray) and isinstance(new, np.ndarray) and cur.shape == new.shape:
            if cur.flags.writeable:
                np.copyto(cur, new, casting="unsafe")
        elif isinstance(cur, dict) and isinstance(new, dict):
            cur.clear()
            cur.update(new)
        elif isinstance(cur, np.random.Generator) and isinstance(new, np.random.Generator):
            cur.bit_generator.state = new.bit_generator.state


def sync(live_args: list, live_kwargs: dict, after) -> None:
    """``restore`` for a call's positional and keyword arguments from ``[args, kwargs]``."""
    args_after, kwargs_after = after
    restore(live_args, args_after)
    restore([live_kwargs[k] for k in live_kwargs], [kwargs_after.get(k) for k in live_kwargs])


def raised(exc: BaseException) -> str:
    """``TypeName: first line`` of an exception, short."""
    text = (str(exc).splitlines() or [""])[0][:200]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class KernelAgent:
    """The kernel's end: binds the student's names and calls them on request.

    Parameters
    ----------
    namespace : dict
        The notebook's global namespace (where the student's functions live).
    callback : callable
        ``(message, arrays) -> (message, arrays)``: asks the grader to run one of its own
        callables (a course reference standing in for an earlier exercise, a function handed
        to the student's code as an argument).
    """

    def __init__(self, namespace: dict, callback):
        self.namespace, self.callback = namespace, callback
        self.objects: dict[int, object] = {}
        self.active: list = []  # (args, kwargs) of the calls in progress, innermost last

    def handle(self, request: dict, arrays: dict) -> tuple[dict, dict]:
        """Serve one request: ``bind`` (names -> handles) or ``call`` (a handle with arguments)."""
        codec = self._codec(arrays)
        try:
            if request["op"] == "bind":
                return {"handles": self._bind(request)}, {}
            return self._call(request, codec)
        except BaseException as exc:  # the student's code raised: that is its answer
            return {"raised": raised(exc)}, {}

    def _codec(self, arrays) -> Codec:
        return Codec(arrays, object_node=self._keep, resolve=self._resolve)

    def _keep(self, obj) -> dict:
        key = len(self.objects) + 1
        self.objects[key] = obj
        return {"t": "handle", "id": key, "v": type(obj).__name__}

    def _resolve(self, node):
        if node["t"] == "cb":
            return self._stub(int(node["id"]), str(node.get("v", "function")))
        if node["t"] == "handle":
            return self.objects[int(node["id"])]
        raise ValueError("a value that cannot be passed to the kernel")

    def _bind(self, request) -> list[int]:
        values = [eval(expr, self.namespace) for expr in request["names"]]  # noqa: S307 (instructor's names)
        if request.get("adapter"):
            scope = {"np": np, "__name__": "grader_adapter"}
            exec(request["adapter"]["source"], scope)
            values = list(scope[request["adapter"]["name"]](*values))
        return [self._keep(v)["id"] for v in values]

    def _call(self, request, codec: Codec) -> tuple[dict, dict]:
        fn = self.objects[int(request["handle"])]
        if request.get("replace"):
            fn = self._with_globals(
                fn, {name: self._stub(int(i), name) for name, i in request["replace"].items()}
            )
        args = codec.decode(request["args"])
        kwargs = codec.decode(request["kwargs"])
        self.active.append((args, kwargs))
        try:
            out = fn(*args, **kwargs)
            if is_iterator(out):
                out = iter(take(out))
        finally:
            self.active.pop()
        reply = self._codec({})
        message = {"out": reply.encode(out), "args_after": reply.encode([list(args), kwargs])}
        return message, reply.arrays

    @staticmethod
    def _with_globals(fn, replacements: dict):
        """A copy of the student's function whose globals use ``replacements``."""
        if not isinstance(fn, types.FunctionType):
            raise TypeError(f"expected a function defined with def, got {type(fn).__name__}")
        scope = {**fn.__globals__, **replacements}
        clone = types.FunctionType(fn.__code__, scope, fn.__name__, fn.__defaults__, fn.__closure__)
        clone.__kwdefaults__ = fn.__kwdefaults__
        return clone

    def _stub(self, key: int, name: str):
        """A kernel-side function that runs the grader's callable ``key``."""

        def call(*args, **kwargs):
            # the arguments of the call in progress travel along both ways, so that a grader-side
            # function reading them sees what the student's code did to them so far
            codec = self._codec({})
            request = {"id": key, "args": codec.encode([list(args), kwargs])}
            if self.active:
                request["outer"] = codec.encode([list(self.active[-1][0]), self.active[-1][1]])
            message, arrays = self.callback(request, codec.arrays)
            if "raised" in message:
                raise RuntimeError(f"{name} raised {message['raised']}")
            reply = self._codec(arrays)
            if self.active and "outer" in message:  # first: the callee's own arguments win
                sync(self.active[-1][0], self.active[-1][1], reply.decode(message["outer"]))
            sync(list(args), kwargs, reply.decode(message["args_after"]))
            return reply.decode(message["out"])

        call.__name__ = call.__qualname__ = name
        return call


class FileChannel:
    """The kernel's transport: requests and replies as files in a folder the grader shares,
    callbacks as ``input()`` prompts the grader answers (the kernel's stdin channel)."""

    def __init__(self, folder: str, namespace: dict, ask=input):
        self.folder, self.ask = Path(folder), ask
        self.agent = KernelAgent(namespace, self._callback)
        self.calls = 0

    def serve(self, n: int) -> None:
        request, arrays = read_message(self.folder / f"req-{n}")
        reply, reply_arrays = self.agent.handle(request, arrays)
        write_message(self.folder / f"rep-{n}", reply, reply_arrays)

    def _callback(self, message, arrays):
        self.calls += 1
        stem = self.folder / f"cb-{self.calls}"
        write_message(stem, message, arrays)
        answer = self.ask(f"grader-callback {stem.name}")
        return read_message(self.folder / str(answer).strip())
