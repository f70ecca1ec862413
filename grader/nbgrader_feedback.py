"""A preprocessor for nbgrader's own feedback (``nbgrader generate_feedback``, formgrader's
"Generate Feedback"): what the student must not see is removed from the graded notebook
before nbgrader renders it.

nbgrader renders the autograded notebook as it is, and that notebook holds the grade cells as
the grader restored them: an instructor's own hidden tests (``### BEGIN HIDDEN TESTS`` ...
``### END HIDDEN TESTS``, as in the synthetic fixture), any line importing the ``grader``
package, and tracebacks that quote that source and name files on the instructor's machine.
This preprocessor

* deletes every hidden-test block (up to the end of the cell when its end marker is missing)
  and every line importing the ``grader`` package;
* replaces each traceback by its last line, ``<error name>: <message>``;
* replaces instructor paths (the repository, the work directory, the Python environment, the
  home directory, the grader's temporary folders) in every output by ``<path>``.

``<workdir>/nbgrader_config.py`` (written by ``python -m grader autograde``) registers it. It
imports nothing from the grader's grading code, so that it loads in any Jupyter that has nbgrader.
"""
from __future__ import annotations

import os
import re
import sys
import tempfile
from pathlib import Path

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool, List, Unicode

REPO = Path(__file__).resolve().parent.parent
BEGIN, END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
GRADER_IMPORT = re.compile(r"^\s*(from\s+grader(\.\w+)*\s+import\b|import\s+grader\b)")
HIDDEN_MODULE = re.compile(r"\bgrader(\.\w+)+")
PLACEHOLDER = "<path>"


def strip_source(source: str) -> str:
    """``source`` without hidden-test blocks and without lines importing ``grader``."""
    kept, hidden = [], False
    for line in source.split("\n"):
        if BEGIN in line:
            hidden = True
        elif END in line:
            hidden = False
        elif not hidden and not GRADER_IMPORT.match(line):
            kept.append(line)
    return "\n".join(kept).rstrip("\n")


def default_paths(root: str = "") -> list[str]:
    """Folders whose names must not reach a student: the course root (work directory), the
    repository, the Python environment, the home directory and the grader's temporary folders."""
    paths = [root, str(REPO), sys.prefix, os.path.realpath(sys.prefix), str(Path.home()),
             os.path.join(tempfile.gettempdir(), "grader-")]
    return [p for p in paths if p and p.strip("/")]


def scrub(text: str, paths: list[str]) -> str:
    """``text`` with every path under one of ``paths`` (longest first) replaced by ``<path>``,
    and mentions of ``grader`` modules (``grader.exercises.nb01``) by ``hidden tests``."""
    for prefix in sorted(set(paths), key=len, reverse=True):
        text = re.sub(re.escape(prefix) + r"[^\s'\"<>()\[\],:]*", PLACEHOLDER, text)
    return HIDDEN_MODULE.sub("hidden tests", text)


def scrub_output(output, paths: list[str]):
    """One cell output with its traceback shortened and instructor paths removed."""
    if output.get("output_type") == "error":
        output["evalue"] = scrub(str(output.get("evalue", "")), paths)
        output["traceback"] = [f"{output.get('ename', 'Error')}: {output['evalue']}"]
    if "text" in output:
        output["text"] = scrub(str(output["text"]), paths)
    for mime, value in output.get("data", {}).items():
        if isinstance(value, str) and not mime.startswith("image/"):
            output["data"][mime] = scrub(value, paths)
    return output


class StripInstructorContent(Preprocessor):
    """Remove hidden tests, ``grader`` imports, tracebacks and instructor paths (see the
    module docstring) from a notebook before nbgrader turns it into feedback HTML."""

    enabled = Bool(True, help="nbconvert runs a preprocessor only when enabled").tag(config=True)
    paths = List(Unicode(), help="Extra folders to hide in outputs (besides the defaults)."
                 ).tag(config=True)

    def _all_paths(self) -> list[str]:
        root = self.config.get("CourseDirectory", {}).get("root", "") or os.getcwd()
        return default_paths(str(root)) + list(self.paths)

    def preprocess(self, nb, resources):
        paths = self._all_paths()
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            cell.source = strip_source(cell.source)
            cell.outputs = [scrub_output(o, paths) for o in cell.get("outputs", [])]
        return nb, resources
