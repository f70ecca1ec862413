"""Per-submission grade records: small JSON files written atomically in the work directory.

``<workdir>/results/<assignment>/<student>.json`` holds what one grading of one submission
produced: the key it was graded under (content hash of the submission + version hash of the
source notebook and tests), the points of every grade cell with the test's one-line name and a
failure message (never test source), flags, and whether the scores are already in nbgrader's
gradebook (``synced``). Feedback and the report are rendered from these records.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path


def atomic_write(path: Path, data: str | bytes) -> None:
    """Write a file so that a reader (or a run killed half-way) sees the old or the new
    content, never a mix: write a temp file in the same folder, fsync, rename over."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def result_path(work: Path, assignment: str, student: str) -> Path:
    return Path(work) / "results" / assignment / f"{student}.json"


def write_result(work: Path, record: dict) -> None:
    atomic_write(result_path(work, record["assignment"], record["student"]),
                 json.dumps(record, indent=1, sort_keys=True))


def read_result(work: Path, assignment: str, student: str) -> dict | None:
    path = result_path(work, assignment, student)
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def all_results(work: Path, assignments: list[str] | None = None) -> list[dict]:
    """Every record under ``work/results`` (optionally only some assignments), sorted."""
    out = []
    base = Path(work) / "results"
    if not base.is_dir():
        return out
    for folder in sorted(p for p in base.iterdir() if p.is_dir()):
        if assignments is not None and folder.name not in assignments:
            continue
        for f in sorted(folder.glob("*.json")):
            try:
                out.append(json.loads(f.read_text()))
            except ValueError:
                continue
    return out
