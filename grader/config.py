"""Paths, limits and the nbgrader configuration the grader builds in code.

The same configuration is also written to ``<workdir>/nbgrader_config.py`` (by ``autograde``),
so that nbgrader's own tools (formgrader, ``nbgrader generate_feedback``, ``nbgrader export``)
started in the work directory see the same course, gradebook and folders.

Layout of the instructor's work directory (never inside the repository's tracked files)::

    <workdir>/gradebook.db                       nbgrader's SQLite gradebook
    <workdir>/source/<assignment>/               snapshot of solutions/<assignment> used for grading
    <workdir>/release/<assignment>/              what nbgrader generated from that snapshot
    <workdir>/submitted/<student>/<assignment>/  normalized submissions (nbgrader layout)
    <workdir>/autograded/<student>/<assignment>/ executed notebooks
    <workdir>/results/<assignment>/<student>.json our per-submission grade records
    <workdir>/feedback/<assignment>/<student>.html  our feedback pages
    <workdir>/nbgrader_feedback/<student>/<assignment>/  nbgrader's own feedback (formgrader)
    <workdir>/report/<assignment>.html           the class report
    <workdir>/grades.csv
    <workdir>/nbgrader_config.py                 for nbgrader's tools started in <workdir>
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from traitlets.config import Config

REPO = Path(__file__).resolve().parent.parent
SOLUTIONS = REPO / "solutions"
ASSIGNMENTS = REPO / "assignments"
COURSE_ID = "numpy-nn-course"


@dataclass(frozen=True)
class Limits:
    """Resource limits for executing one submitted notebook.

    Attributes
    ----------
    cell_timeout : float
        CPU seconds (of the kernel's process tree) one cell may use before it is stopped and
        scores zero. CPU time, not wall-clock time, so that a correct notebook gets the same
        grade on a busy machine as on a quiet one.
    notebook_timeout : float
        CPU seconds for the whole notebook (kernel restarts included); cells not reached in
        time score zero.
    wall_factor : float
        A cell (or notebook) that waits instead of computing is stopped after ``wall_factor``
        times its CPU limit in wall-clock time.
    memory_mb : int
        Resident memory of the kernel's process tree (psutil watchdog). The kernel's address
        space (RLIMIT_AS) is capped at ``memory_mb + address_headroom_mb``.
    address_headroom_mb : int
        Extra virtual address space for shared libraries and thread stacks.
    max_restarts : int
        Kernel deaths tolerated per notebook before the remaining cells are given up.
    tmpfs_mb : int
        Size of each of the sandboxed kernel's two private tmpfs mounts, ``/tmp`` and
        ``/dev/shm``. Their pages are memory that no process's resident size shows, so the
        watchdog allows a sandboxed kernel ``memory_mb - 2 * tmpfs_mb`` of resident memory.
    disk_mb : int
        Disk quota of the kernel's run folder (working directory, HOME, the grader's
        channel): no file may grow larger (RLIMIT_FSIZE), and the watchdog stops the kernel
        when the files it adds to the folder take more (each file or folder counts at least
        4 KB, so the quota also bounds how many files a kernel can make: 131,072 for 512 MB).
    open_files : int
        Open file descriptors per kernel process (RLIMIT_NOFILE).
    processes : int
        Processes and threads of the kernel's user (RLIMIT_NPROC). When the grader runs as root,
        each kernel gets a user id of its own, so this counts that kernel alone; otherwise the
        kernel shares the grader's user id and the limit is added to what that user runs already.
    """

    cell_timeout: float = 300.0
    notebook_timeout: float = 900.0
    wall_factor: float = 5.0
    memory_mb: int = 2048
    address_headroom_mb: int = 1536
    max_restarts: int = 8
    tmpfs_mb: int = 32
    disk_mb: int = 512
    open_files: int = 512
    processes: int = 128


def workdir(path: str | os.PathLike | None = None, create: bool = True) -> Path:
    """The instructor's grading directory: ``path``, else ``$COURSE_GRADING_DIR``, else the
    platform's user data directory (``platformdirs.user_data_dir("numpy-nn-course")/grading``).
    Created unless ``create`` is false (for commands that only read it)."""
    if path is None:
        path = os.environ.get("COURSE_GRADING_DIR")
    if path is None:
        import platformdirs

        path = Path(platformdirs.user_data_dir("numpy-nn-course")) / "grading"
    path = Path(path).expanduser().resolve()
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


def nbgrader_config(root: Path, *, source: str = "source", release: str = "release",
                    db_path: Path | None = None) -> Config:
    """A traitlets config for nbgrader's converters rooted at ``root``."""
    cfg = Config()
    cfg.CourseDirectory.root = str(root)
    cfg.CourseDirectory.course_id = COURSE_ID
    cfg.CourseDirectory.source_directory = source
    cfg.CourseDirectory.release_directory = release
    cfg.CourseDirectory.db_url = "sqlite:///" + str(db_path or Path(root) / "gradebook.db")
    # nbgrader's own feedback (formgrader) beside, not inside, our feedback/<assignment>/ pages
    cfg.CourseDirectory.feedback_directory = "nbgrader_feedback"
    cfg.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback"]
    return cfg


NBGRADER_CONFIG_HEADER = """\
# Written by `python -m grader autograde`, rewritten on every run: edit grader/config.py instead.
# nbgrader's own tools started in this folder (formgrader, `nbgrader generate_feedback`,
# `nbgrader export`, `nbgrader autograde`) read it and use the grader's gradebook and folders.
import sys

if {repo!r} not in sys.path:   # the feedback preprocessor lives in the grader package
    sys.path.insert(0, {repo!r})

c = get_config()  # noqa: F821 (defined by traitlets when it loads this file)
"""

# nbgrader's feedback: its two default preprocessors plus ours, which strips hidden tests,
# grader imports and instructor paths (grader/nbgrader_feedback.py)
FEEDBACK_PREPROCESSORS = ["nbgrader.preprocessors.GetGrades",
                          "grader.nbgrader_feedback.StripInstructorContent",
                          "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor"]


def nbgrader_config_text(root: Path) -> str:
    """The text of ``<root>/nbgrader_config.py``: every setting of :func:`nbgrader_config`,
    the feedback preprocessors, and an export file name that leaves our ``grades.csv`` alone."""
    lines = [NBGRADER_CONFIG_HEADER.format(repo=str(REPO))]
    for section, values in nbgrader_config(Path(root)).items():
        lines += [f"c.{section}.{key} = {value!r}" for key, value in values.items()]
    lines.append(f"c.GenerateFeedback.preprocessors = {FEEDBACK_PREPROCESSORS!r}")
    lines.append("c.CsvExportPlugin.to = 'nbgrader_grades.csv'")
    return "\n".join(lines) + "\n"


def write_nbgrader_config(root: Path) -> Path:
    """Write ``<root>/nbgrader_config.py`` (see :func:`nbgrader_config_text`); return its path."""
    path = Path(root) / "nbgrader_config.py"
    text = nbgrader_config_text(root)
    if not path.is_file() or path.read_text() != text:
        path.write_text(text)
    return path


def db_url(root: Path) -> str:
    """SQLAlchemy URL of the gradebook in a work directory."""
    return "sqlite:///" + str(Path(root) / "gradebook.db")


def list_assignments(source_dir: Path = SOLUTIONS) -> list[str]:
    """Assignment ids (folder names) that hold a notebook of the same name, sorted."""
    source_dir = Path(source_dir)
    if not source_dir.is_dir():
        return []
    return sorted(p.name for p in source_dir.iterdir()
                  if p.is_dir() and (p / f"{p.name}.ipynb").is_file())


def resolve_assignments(spec: str, source_dir: Path = SOLUTIONS) -> list[str]:
    """``"all"`` -> every assignment; otherwise the one named (``ValueError`` if unknown)."""
    known = list_assignments(source_dir)
    if spec == "all":
        return known
    if spec not in known:
        raise ValueError(f"unknown assignment {spec!r}; known: {', '.join(known) or 'none'}")
    return [spec]


# grader modules that only present grades already decided (never imported while grading)
NOT_GRADING = ("__main__.py", "demo.py", "export.py", "feedback.py", "report.py", "synthetic.py")


def grading_files(assignment: str, source_dir: Path = SOLUTIONS) -> list[Path]:
    """Every file that can change a grade besides the submission: the source notebook, all of
    ``course/`` and every module of ``grader/`` except those in ``NOT_GRADING``."""
    code = sorted(p for top in ("course", "grader") for p in (REPO / top).rglob("*.py")
                  if p.name not in NOT_GRADING or p.parent != REPO / "grader")
    return [Path(source_dir) / assignment / f"{assignment}.ipynb", *code]


def _name(f: Path) -> str:
    return str(f.relative_to(REPO) if f.is_relative_to(REPO) else f.name)


def source_entry(assignment: str, source_dir: Path = SOLUTIONS) -> tuple[str, bytes | None]:
    """The source notebook as the version hash sees it: its name and bytes (None: missing)."""
    source = grading_files(assignment, source_dir)[0]
    return _name(source), source.read_bytes() if source.is_file() else None


def version_hash(assignment: str, source_dir: Path = SOLUTIONS) -> str:
    """Hash of :func:`grading_files` (their paths and bytes): a resumed run regrades every
    submission when any of them changed."""
    return installed_version(*source_entry(assignment, source_dir))


def installed_version(source_name: str, source: bytes | None) -> str:
    """:func:`version_hash` of a source notebook given by its name and bytes (None: missing)
    with this installation's ``course/`` and ``grader/``: how a grading worker checks that it
    grades as the grading run does."""
    h = hashlib.sha256()
    if source is not None:
        h.update(source_name.encode() + b"\0" + source + b"\0")
    for f in grading_files("", Path())[1:]:
        if f.is_file():
            h.update(_name(f).encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def _venv_bin_on_path() -> None:
    """nbgrader's Gradebook runs the ``alembic`` executable from PATH; make the interpreter's
    own ``bin`` directory (the venv's) come first even when the venv is not activated."""
    import sys

    bindir = str(Path(sys.executable).parent)
    parts = os.environ.get("PATH", "").split(os.pathsep)
    if bindir not in parts:
        os.environ["PATH"] = os.pathsep.join([bindir] + [p for p in parts if p])


def _alembic_head() -> str:
    """The newest migration id of nbgrader's gradebook schema, read from the migration files.

    nbgrader's ``Gradebook`` asks for it through an ``alembic heads`` subprocess every time it
    creates a database, which takes 2-15 s on a loaded machine; the files name it directly.
    """
    import re

    import nbgrader

    revisions, parents = set(), set()
    for f in (Path(nbgrader.__file__).parent / "alembic" / "versions").glob("*.py"):
        text = f.read_text()
        rev = re.search(r"^revision = ['\"](\w+)['\"]", text, re.MULTILINE)
        down = re.search(r"^down_revision = ['\"](\w+)['\"]", text, re.MULTILINE)
        if rev:
            revisions.add(rev.group(1))
        if down:
            parents.add(down.group(1))
    heads = sorted(revisions - parents)
    if len(heads) != 1:
        raise RuntimeError(f"cannot determine nbgrader's gradebook schema version: {heads}")
    return heads[0]


def patch_nbgrader() -> None:
    """Have nbgrader read its schema version from the files (:func:`_alembic_head`). Called by
    the modules that create gradebooks (``release``, ``autograde``), not on import of this one:
    importing nbgrader takes seconds, which every grading worker would pay."""
    import functools

    import nbgrader.api

    if not hasattr(nbgrader.api.get_alembic_version, "cache_info"):
        nbgrader.api.get_alembic_version = functools.lru_cache(maxsize=None)(_alembic_head)


_venv_bin_on_path()
