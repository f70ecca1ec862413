"""The catalog of typical student bugs, one module per notebook (``grader/bugs/nbNN.py``).

Each bug is an edit of one solution cell of the reference notebook. The catalog test applies
every bug, runs the grade cells, and checks that the exercise it breaks loses its points while
every other exercise keeps them.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Bug:
    """One realistic mistake.

    Attributes
    ----------
    id : str
        Short unique name, e.g. ``"dW_missing_1_over_M"``.
    cell : str
        grade_id of the solution cell it edits.
    old, new : str
        ``old`` occurs exactly once in that cell's solution; it is replaced by ``new``.
    diagnosis : str
        What a student should be told when their code behaves like this bug.
    breaks : tuple of str
        grade_ids of the grade cells that must fail (default: ``("test_" + cell,)``).
    """

    id: str
    cell: str
    old: str
    new: str
    diagnosis: str
    breaks: tuple = field(default=())

    def failing_cells(self) -> tuple:
        """grade_ids of the grade cells this bug must make fail."""
        return self.breaks or ("test_" + self.cell,)

    def apply(self, source: str) -> str:
        """Return ``source`` with the bug applied; refuse when ``old`` is not unique."""
        count = source.count(self.old)
        if count != 1:
            raise ValueError(f"bug {self.id}: {self.old!r} occurs {count} times in cell {self.cell}")
        return source.replace(self.old, self.new)
