"""Name the likely mistake behind a failed exercise, from the bug catalog.

A check run leaves a transcript: what the student's functions returned (and left in their
arguments) on this run's hidden inputs. For each catalogued bug of the exercise the same check
runs on the reference solution *with that bug applied*, in this process and with the same
secret, so it sees the same inputs. When the two transcripts agree call by call, the student's
code behaves exactly like that bug, and the feedback shows the bug's diagnosis (never the
hidden inputs or code).
"""

from __future__ import annotations

import functools
from pathlib import Path

import nbformat

from grader import registry
from grader.bugs import harness
from grader.exercises.common import current_secret
from grader.trusted import LocalTransport, run_check, same_transcript


@functools.lru_cache(maxsize=512)
def buggy_transcript(
    source: str, assignment: str, grade_id: str, bug_id: str, secret: str
) -> list | None:
    """The transcript of ``grade_id``'s check on the source notebook's solution with one bug
    applied (once per worker process and secret: a class of 300 shares them)."""
    nb = nbformat.read(source, as_version=4)
    bug = next(b for ex in registry.exercises(assignment) for b in ex.bugs if b.id == bug_id)
    namespace = harness.solution_namespace(nb, harness.apply_bug(nb, bug))
    return run_check(registry.exercise(assignment, grade_id), LocalTransport(namespace)).transcript


def _attempted(transcript: list | None) -> bool:
    return bool(transcript) and not any(
        str(reply.get("raised", "")).startswith("NotImplementedError") for _, reply, _ in transcript
    )


def diagnose(
    exercise: registry.Exercise, transcript: list | None, source: Path | None = None
) -> list[str]:
    """Diagnoses of the catalogued bugs whose behaviour the student's transcript matches.

    ``source``: the instructor's notebook the bugs are applied to (default: ``solutions/``)."""
    if not exercise.diagnosable or not _attempted(transcript):
        return []
    bugs = [
        b
        for ex in registry.exercises(exercise.notebook)
        for b in ex.bugs
        if exercise.grade_id in b.failing_cells()
    ]
    source = str(source or harness.SOLUTIONS / exercise.notebook / f"{exercise.notebook}.ipynb")
    secret = current_secret()
    return [
        bug.diagnosis
        for bug in bugs
        if same_transcript(
            transcript,
            buggy_transcript(source, exercise.notebook, exercise.grade_id, bug.id, secret),
        )
    ]
