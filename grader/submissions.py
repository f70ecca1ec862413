"""Find the submissions in a folder tree, a zip of it, or a Canvas bulk download, and check them.

Accepted layouts (``<assignment>`` is an assignment id such as ``01_linear_regression``):

* folder tree: ``<student-id>/<assignment>/<assignment>.ipynb`` (also
  ``<student-id>/<assignment>.ipynb``); a zip of that tree, with or without one wrapping folder;
* Canvas "Download Submissions" (a zip or its unpacked folder of flat files) named
  ``<studentname>_<userid>_<submissionid>_<filename>`` or, when late,
  ``<studentname>_LATE_<userid>_<submissionid>_<filename>``; ``<filename>`` is what the student
  uploaded, where Canvas may have appended ``-1``, ``-2`` for a resubmission. The Canvas user id
  becomes the student id; of several files for one student and assignment the highest
  submission id is graded.

Each submission also carries a display name (the ``<studentname>`` part of a Canvas file name)
and a timestamp: the contents of nbgrader's ``timestamp.txt`` next to the notebook when there
is one, else the file's modification time (a zip's entries keep theirs when unpacked).

Anything else gets a one-line reason and is skipped; the rest of the class is still graded:
a symbolic link (never followed, so it cannot point the grader at another file), a file above
:data:`MAX_NOTEBOOK_BYTES`, text that is not UTF-8, JSON that is invalid or nested too deeply.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import nbformat

from .registry import nbgrader_meta

CANVAS = re.compile(r"^(?P<name>[^_]+?)(?P<late>_LATE)?_(?P<uid>\d+)_(?P<sid>\d+)_(?P<file>.+)$")
STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
IGNORED = {"__MACOSX", ".DS_Store", ".ipynb_checkpoints", "Thumbs.db", "timestamp.txt"}
MAX_ZIP_BYTES = 2 * 1024 ** 3
MAX_NOTEBOOK_BYTES = 100 * 1024 ** 2   # far above any honest notebook with its figures
SYMLINK = "a symbolic link, not a file: submit the notebook itself"


@dataclass
class Submission:
    """One student's notebook for one assignment, or the reason it cannot be graded."""

    student: str
    assignment: str
    path: Path | None = None
    origin: str = ""
    flags: list = field(default_factory=list)
    problem: str | None = None
    name: str = ""
    timestamp: datetime | None = None
    data: bytes | None = None   # the notebook file as read once by read_submission

    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest() if self.data is not None else ""


def read_submission(path: Path) -> tuple[bytes | None, str | None]:
    """The bytes of a submitted file, read once and without following a symbolic link:
    ``(data, None)`` or ``(None, one-line reason)``."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        return None, SYMLINK if Path(path).is_symlink() else f"cannot be read ({exc.strerror})"
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            return None, "not a regular file"
        if info.st_size > MAX_NOTEBOOK_BYTES:
            return None, (f"{info.st_size / 1024 ** 2:.0f} MB, above the "
                          f"{MAX_NOTEBOOK_BYTES // 1024 ** 2} MB limit: clear the outputs and submit again")
        return f.read(MAX_NOTEBOOK_BYTES + 1), None


def _visible(p: Path) -> bool:
    return p.name not in IGNORED and not p.name.startswith(".")


def unpack(path: Path, tmp: Path) -> Path:
    """A folder to read submissions from: ``path`` itself, or ``path`` (a zip) unpacked in ``tmp``."""
    path = Path(path)
    if path.is_dir():
        return path
    if not zipfile.is_zipfile(path):
        raise ValueError(f"{path} is neither a folder nor a zip file")
    with zipfile.ZipFile(path) as zf:
        if sum(i.file_size for i in zf.infolist()) > MAX_ZIP_BYTES:
            raise ValueError(f"{path}: unpacked size above {MAX_ZIP_BYTES // 1024 ** 3} GB")
        for info in zf.infolist():
            target = (tmp / info.filename).resolve()
            if not str(target).startswith(str(tmp.resolve())):
                continue   # an entry escaping the folder (../ or absolute path): ignore it
            zf.extract(info, tmp)
            _keep_zip_time(info, target)
    return tmp


def _keep_zip_time(info: zipfile.ZipInfo, path: Path) -> None:
    """Give an unpacked file the modification time its zip entry records (local time)."""
    if info.is_dir() or not path.is_file():
        return
    stamp = time.mktime(info.date_time + (0, 0, -1))
    os.utime(path, (stamp, stamp))


def file_time(path: Path) -> datetime:
    """A file's modification time as a naive UTC datetime (nbgrader's convention)."""
    stamp = datetime.fromtimestamp(Path(path).stat().st_mtime, tz=timezone.utc)
    return stamp.replace(tzinfo=None)


def submission_time(notebook: Path) -> datetime | None:
    """When a notebook was submitted: nbgrader's ``timestamp.txt`` in its folder when present
    and readable, else the notebook's modification time."""
    stamp = Path(notebook).parent / "timestamp.txt"
    if stamp.is_file():
        from nbgrader.utils import parse_utc
        try:
            return parse_utc(stamp.read_text().strip())
        except (ValueError, OverflowError):
            pass
    return file_time(notebook)


def _base_notebook_name(filename: str) -> str:
    """``01_linear_regression-2.ipynb`` -> ``01_linear_regression`` (Canvas resubmission suffix)."""
    stem = filename.removesuffix(".ipynb")
    return re.sub(r"-\d+$", "", stem)


def _from_canvas(files: list[Path], wanted: list[str], known: list[str]) -> list[Submission]:
    found: dict[tuple, tuple] = {}
    out = []
    for f in files:
        if f.is_symlink():
            out.append(Submission("?", "?", origin=f.name, problem=SYMLINK))
            continue
        m = CANVAS.match(f.name)
        if not m:
            out.append(Submission("?", "?", origin=f.name, problem=f"odd file name {f.name!r}: not <name>_<userid>_<submissionid>_<file>"))
            continue
        uid, sid, fname = m["uid"], int(m["sid"]), m["file"]
        base = _base_notebook_name(fname)
        if not fname.endswith(".ipynb"):
            out.append(Submission(uid, base, origin=f.name, problem=f"not a notebook: {fname!r}"))
            continue
        if base not in known:
            if len(wanted) == 1:
                out.append(Submission(uid, wanted[0], origin=f.name,
                                      problem=f"renamed notebook: got {fname!r}, expected {wanted[0]}.ipynb"))
            else:
                out.append(Submission(uid, base, origin=f.name, problem=f"unknown assignment {base!r}"))
            continue
        if base not in wanted:
            continue
        flags = ["late"] if m["late"] else []
        previous = found.get((uid, base))
        if previous is None or sid > previous[0]:
            count = previous[2] + 1 if previous else 1
            sub = Submission(uid, base, f, origin=f.name, flags=flags, name=m["name"],
                             timestamp=file_time(f))
            found[(uid, base)] = (sid, sub, count)
        else:
            found[(uid, base)] = (previous[0], previous[1], previous[2] + 1)
    for (_uid, _base), (sid, sub, count) in sorted(found.items()):
        if count > 1:
            sub.flags.append(f"{count} files, graded the latest (submission {sid})")
        out.append(sub)
    return out


def _student_folder(folder: Path, wanted: list[str], known: list[str]) -> list[Submission]:
    student = folder.name
    if folder.is_symlink():
        return [Submission(student, "?", origin=folder.name, problem=SYMLINK)]
    if not STUDENT_ID.match(student):
        return [Submission(student, "?", origin=str(folder.name), problem=f"odd student folder name {student!r}")]
    entries = sorted(p for p in folder.iterdir() if _visible(p))
    if not entries:
        return [Submission(student, "?", origin=folder.name, problem="empty folder")]
    out, seen = [], set()
    for p in entries:
        rel = f"{folder.name}/{p.name}"
        name = p.name[:-6] if p.is_file() and p.name.endswith(".ipynb") else p.name
        if name not in known:
            if p.is_dir() or p.name.endswith(".ipynb"):
                out.append(Submission(student, name, origin=rel, problem=f"unknown assignment {name!r}"))
            continue   # stray non-notebook files next to the assignments are ignored
        if name not in wanted:
            continue
        if name in seen:
            out.append(Submission(student, name, origin=rel,
                                  problem=f"second submission of {name} (folder and file); only the first is graded"))
            continue
        seen.add(name)
        if p.is_symlink():
            out.append(Submission(student, name, origin=rel, problem=SYMLINK))
            continue
        if p.is_file():
            out.append(Submission(student, name, p, origin=rel, timestamp=file_time(p)))
            continue
        nb = p / f"{name}.ipynb"
        notebooks = sorted(q.name for q in p.iterdir() if q.is_file() and q.name.endswith(".ipynb"))
        if nb.is_symlink():
            out.append(Submission(student, name, origin=f"{rel}/{nb.name}", problem=SYMLINK))
        elif nb.is_file():
            out.append(Submission(student, name, nb, origin=f"{rel}/{nb.name}",
                                  timestamp=submission_time(nb)))
        elif notebooks:
            out.append(Submission(student, name, origin=rel,
                                  problem=f"renamed notebook: found {', '.join(notebooks)}, expected {name}.ipynb"))
        else:
            out.append(Submission(student, name, origin=rel, problem="empty folder (no notebook)"))
    return out


def discover(root: Path, wanted: list[str], known: list[str]) -> list[Submission]:
    """Every submission (and every problem) under an unpacked submissions folder."""
    root = Path(root)
    entries = sorted(p for p in root.iterdir() if _visible(p))
    # one wrapping folder (e.g. a zip of "submissions/"): descend unless it is a student folder
    if len(entries) == 1 and entries[0].is_dir():
        inner = [p for p in entries[0].iterdir() if _visible(p)]
        if inner and not any(p.name in known or p.name[:-6] in known for p in inner):
            return discover(entries[0], wanted, known)
    if not entries:
        return [Submission("?", "?", origin=str(root), problem="empty submissions folder")]
    files = [p for p in entries if p.is_file() or p.is_symlink() and not p.is_dir()]
    out = _from_canvas(files, wanted, known) if files else []
    for folder in (p for p in entries if p.is_dir()):
        out += _student_folder(folder, wanted, known)
    return out


def grade_ids(nb) -> list[str]:
    """grade_ids of the graded and solution cells, in notebook order (duplicates kept)."""
    return [m["grade_id"] for m in map(nbgrader_meta, nb.cells)
            if m.get("grade_id") and (m.get("grade") or m.get("solution"))]


def check_notebook(source: Path | bytes, expected_ids: list[str]):
    """Read a submitted notebook (a path, or the bytes ``read_submission`` returned); return
    ``(notebook, None)`` or ``(None, one-line reason)``. Never raises for a bad file."""
    if not isinstance(source, bytes):
        source, problem = read_submission(source)
        if problem:
            return None, problem
    try:
        return _parse_notebook(source, expected_ids)
    except RecursionError:
        return None, "JSON nested too deeply to be a notebook"
    except Exception as exc:  # noqa: BLE001 (a file nobody anticipated: its reason, not a crash)
        first = (str(exc).splitlines() or [""])[0][:120]
        return None, f"unreadable notebook ({type(exc).__name__}: {first})"


def _parse_notebook(data: bytes, expected_ids: list[str]):
    try:
        raw = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        return None, "not UTF-8 text"
    except json.JSONDecodeError as exc:
        return None, f"invalid JSON ({exc.msg} at line {exc.lineno})"
    if not isinstance(raw, dict) or "cells" not in raw and "worksheets" not in raw:
        return None, "not a notebook (no cells)"
    major = raw.get("nbformat")
    if major != 4:
        return None, f"nbformat {major} notebook; expected nbformat 4 (open and save it in Jupyter)"
    try:
        nb = nbformat.reads(json.dumps(raw), as_version=4)
    except Exception as exc:  # noqa: BLE001 (nbformat's many ways to reject a file)
        return None, f"unreadable notebook ({type(exc).__name__}: {str(exc).splitlines()[0][:120]})"
    ids = grade_ids(nb)
    dup = sorted({g for g in ids if ids.count(g) > 1})
    if dup:
        return None, f"duplicated cells: {', '.join(dup)} (copied cells keep their grade_id)"
    missing = [g for g in expected_ids if g not in ids]
    if missing:
        return None, f"missing cells: {', '.join(missing)} (deleted from the notebook)"
    return nb, None


def working_dir(prefix: str = "grader-subs-"):
    """A temporary folder for unpacking a zip."""
    return tempfile.TemporaryDirectory(prefix=prefix)
