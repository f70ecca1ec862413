"""The student bundle: a zip with ``course/``, ``assignments/``, a README and a pyproject.

Nothing from ``solutions/`` or ``grader/`` goes in (the hidden tests live in ``grader/``).
Entries have a fixed timestamp and order, so the same tree gives the same zip.
"""
from __future__ import annotations

import re
import zipfile
from pathlib import Path

from . import config

STAMP = (2024, 1, 1, 0, 0, 0)
SKIP = {"__pycache__", ".ipynb_checkpoints", ".DS_Store"}

README = """# Neural networks from scratch in NumPy - student bundle

Contents: `course/` (the course's helper library, imported by the notebooks) and
`assignments/<nn>_<name>/<nn>_<name>.ipynb` (one notebook per assignment).

## Setup (once)

    python -m venv .venv
    .venv/bin/pip install -e .          # Windows: .venv\\Scripts\\pip install -e .
    .venv/bin/jupyter lab

## Working on an assignment

1. Open `assignments/<nn>_<name>/<nn>_<name>.ipynb` and read it top to bottom.
2. Replace every `raise NotImplementedError()` with your code. Keep the function names,
   signatures and the cells themselves: do not delete, copy or split the exercise and test cells.
3. Run the test cell under each exercise. Its message names the array that is wrong, the
   expected and actual shapes, how far off it is, and a hint for the usual mistake.
   More tests (hidden ones, with other inputs) run when the notebook is graded.
4. Before you submit: Kernel > Restart and run all. The notebook must run top to bottom
   without errors, within a few minutes, and without printing pages of output.
5. Submit the `.ipynb` file under its original name.
"""


def _dependencies() -> list[str]:
    """The course's runtime dependencies, from the repository's pyproject.toml."""
    text = (config.REPO / "pyproject.toml").read_text()
    try:
        import tomllib   # Python 3.11+
        return tomllib.loads(text)["project"]["dependencies"]
    except ImportError:
        block = re.search(r"^dependencies = \[(.*?)^\]", text, re.S | re.M).group(1)
        return re.findall(r'"([^"]+)"', block)


def _pyproject() -> str:
    deps = _dependencies()
    dep_lines = "".join(f'    "{d}",\n' for d in deps)
    return ("[build-system]\nrequires = [\"setuptools>=68\"]\nbuild-backend = \"setuptools.build_meta\"\n\n"
            "[project]\nname = \"numpy-nn-course-student\"\nversion = \"0.1.0\"\n"
            "requires-python = \">=3.10\"\ndependencies = [\n" + dep_lines + "]\n\n"
            "[tool.setuptools.packages.find]\ninclude = [\"course*\"]\n")


def _add(zf: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, STAMP)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    zf.writestr(info, data)


def bundle(output: Path, release_dir: Path = config.ASSIGNMENTS) -> Path:
    """Write the student zip to ``output``; return its path."""
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    files = []
    for top, base in (("course", config.REPO / "course"), ("assignments", Path(release_dir))):
        for path in sorted(base.rglob("*")):
            rel = path.relative_to(base)
            if path.is_file() and not SKIP.intersection(rel.parts) and path.suffix != ".pyc":
                files.append((f"numpy-nn-course/{top}/{rel.as_posix()}", path.read_bytes()))
    with zipfile.ZipFile(output, "w") as zf:
        _add(zf, "numpy-nn-course/README.md", README.encode())
        _add(zf, "numpy-nn-course/pyproject.toml", _pyproject().encode())
        for name, data in files:
            _add(zf, name, data)
    return output
