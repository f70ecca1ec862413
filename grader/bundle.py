"""The student bundle of one assignment: everything a student needs, and no answer not yet due.

``python -m grader bundle --assignment NN`` writes a zip with the student notebooks 01 to NN,
a ``course/`` in which the reference of every exercise of notebook NN and later is a stub
(:func:`stripped_course`), a README and a pyproject. Nothing from ``solutions/`` or
``grader/`` goes in. The same repository gives the same bytes: entries in a fixed order, each
dated by ``SOURCE_DATE_EPOCH`` or else the time of the last commit.

:func:`stripped_course` is also what a grading kernel imports, so the references live only on
the instructor's side.
"""
from __future__ import annotations

import ast
import io
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import tokenize
import zipfile
from pathlib import Path

from . import config, registry

COURSE = config.REPO / "course"
TOP = "numpy-nn-course"
SKIP = {"__pycache__", ".ipynb_checkpoints", ".DS_Store"}
ZIP_EPOCH = 315532800          # 1980-01-01, the earliest date a zip entry can hold

README = """# Neural networks from scratch in NumPy: student bundle for assignment {number}

This bundle holds what you need for assignment {assignment}:

{notebook_list}
- `course/`, the course's helper library that the notebooks import. The course's version of
  every exercise of notebook {number} and later is left out: calling it raises
  `NotImplementedError` with a message that names the exercise.
  {released}

## Setup (once)

Unzip the bundle, open a terminal and run:

    cd numpy-nn-course
    python -m venv .venv
    .venv/bin/pip install -e .

On Windows the second command is `.venv\\Scripts\\pip install -e .`. pip downloads about 115
packages (NumPy, SciPy, matplotlib, scikit-learn, JupyterLab and what they need); on a
typical connection this takes about 4 minutes.

## Start JupyterLab

    cd numpy-nn-course
    .venv/bin/jupyter lab

(Windows: `.venv\\Scripts\\jupyter lab`.) JupyterLab opens in your browser; the file browser on
the left shows the `assignments/` folder.

## Working on an assignment

1. Open `assignments/<nn>_<name>/<nn>_<name>.ipynb` and read it top to bottom.
2. Replace every `raise NotImplementedError()` with your code. Keep the function names,
   signatures and the cells themselves: do not delete, copy or split the exercise and test cells.
3. Run the test cell under each exercise. Its message names the array that is wrong, the
   expected and actual shapes, how far off it is, and a hint for the usual mistake. A test
   cell whose exercise calls your earlier functions waits until those have passed their own
   test cells (it says so). More tests (hidden ones, with other inputs) run when the
   notebook is graded.
4. Before you submit, save the notebook and check it the way the grader will run it:

       .venv/bin/python -m course.check assignments/<nn>_<name>/<nn>_<name>.ipynb

   It runs the notebook from a fresh kernel and prints one line per exercise (its points;
   "not attempted yet", "passes its visible tests" or the failing test's message), whether
   the notebook runs top to bottom without an error, and how long it took against the
   grading limit (900 s). Or, in JupyterLab: Kernel > Restart Kernel and Run All Cells.
5. Submit the `.ipynb` file under its original name.
"""

NEXT_BUNDLE = """
## When the next bundle arrives

Each assignment comes with a new bundle: one more notebook, and a `course/` in which the
answers of the assignments already finished are filled in (later notebooks build on them).
To move your working copy to it without losing your work:

1. delete your `course/` folder and copy the new bundle's `course/` in its place;
2. copy the new assignment's folder (e.g. `assignments/{next_example}/`) into your
   `assignments/`.

Do not copy the other notebooks over yours: in the bundle they are blank. Nothing needs to be
installed again.
"""


# --------------------------------------------------------------------------- stripped course
def _answered_exercise(reference: str) -> registry.Exercise:
    """The first registered exercise whose ``references`` name ``reference``."""
    for ex in registry.all_exercises():
        if reference in ex.references:
            return ex
    raise KeyError(reference)


def stub_message(reference: str) -> str:
    """What calling the stub of ``reference`` says: which exercise of which notebook it is."""
    ex = _answered_exercise(reference)
    name = reference.rsplit(".", 1)[-1]
    what = "is exercise" if name in ex.functions else "is part of the answer to exercise"
    return (f"`{reference}` {what} `{ex.solution_cell}` of notebook {ex.notebook}; write it in "
            f"your notebook and use your own version there. The course's version comes with "
            f"the bundles after notebook {ex.notebook}.")


def _header_colons(source: str) -> list[tuple[int, int]]:
    """Positions (line, column) of the ``:`` tokens outside brackets, in source order."""
    colons, depth = [], 0
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type != tokenize.OP:
            continue
        if tok.string in "([{":
            depth += 1
        elif tok.string in ")]}":
            depth -= 1
        elif tok.string == ":" and depth == 0:
            colons.append(tok.start)
    return colons


def _kept_lines(node: ast.FunctionDef, colons: list[tuple[int, int]]) -> int:
    """Last line of ``node`` that the stub keeps: the docstring's end, else the header's end."""
    first = node.body[0]
    if (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
            and isinstance(first.value.value, str)):
        return first.end_lineno
    header_end = max(pos for pos in colons if pos < (first.lineno, first.col_offset))[0]
    if header_end == first.lineno:
        raise ValueError(f"cannot stub {node.name}: its body starts on the line of its `def`")
    return header_end


def _stub_lines(indent: str, message: str, width: int = 80) -> list[str]:
    """The stub body: ``raise NotImplementedError(...)`` with the message split into string
    literals of about ``width`` characters, one per line."""
    chunks, current = [], ""
    for word in message.split(" "):
        if current and len(current) + len(word) > width:
            chunks.append(current)
            current = ""
        current += word + " "
    chunks.append(current[:-1])
    literals = [f"{indent}    {json.dumps(chunk)}\n" for chunk in chunks]
    literals[-1] = literals[-1][:-1] + ")\n"
    return [f"{indent}raise NotImplementedError(\n", *literals]


def _stubbed_functions(tree: ast.Module, names: dict[str, str]) -> list[tuple[ast.AST, str]]:
    """(function node, reference) for every function of ``tree`` to stub: the top-level
    functions named in ``names`` (name -> reference) and every method of the classes named."""
    functions = (ast.FunctionDef, ast.AsyncFunctionDef)
    found = []
    for node in tree.body:
        if isinstance(node, functions) and node.name in names:
            found.append((node, names[node.name]))
        elif isinstance(node, ast.ClassDef) and node.name in names:
            found += [(item, names[node.name]) for item in node.body if isinstance(item, functions)]
    return found


def strip_module(source: str, names: dict[str, str]) -> str:
    """``source`` with the body of every function named in ``names`` (name -> dotted reference;
    for a class: each of its methods) replaced by a stub raising ``NotImplementedError``.

    Signatures, decorators, docstrings and all other lines stay byte for byte.
    """
    tree = ast.parse(source)
    targets = _stubbed_functions(tree, names)
    missing = set(names) - {reference.rsplit(".", 1)[-1] for _, reference in targets}
    if missing:
        raise KeyError(f"no top-level function or class (with methods) named {sorted(missing)}")
    colons = _header_colons(source)
    lines = source.splitlines(keepends=True)
    for node, reference in sorted(targets, key=lambda t: t[0].lineno, reverse=True):
        keep = _kept_lines(node, colons)
        indent = " " * node.body[0].col_offset
        lines[keep:node.end_lineno] = _stub_lines(indent, stub_message(reference))
    return "".join(lines)


def _withheld_by_module(assignment: str) -> dict[str, dict[str, str]]:
    """``course`` module file name -> {top-level name: reference} withheld from ``assignment``."""
    by_module: dict[str, dict[str, str]] = {}
    for reference in registry.withheld_references(assignment):
        package, module, name = reference.split(".")
        if package != "course":
            raise ValueError(f"not a course reference: {reference}")
        by_module.setdefault(f"{module}.py", {})[name] = reference
    return by_module


def _files(root: Path) -> list[Path]:
    """The files under ``root`` that go into a bundle, sorted (no caches, no bytecode)."""
    return [p for p in sorted(root.rglob("*")) if p.is_file() and p.suffix != ".pyc"
            and not SKIP.intersection(p.relative_to(root).parts)]


def stripped_course(assignment: str, dest: Path) -> Path:
    """Write ``dest/course/``: a copy of ``course/`` in which every name of
    ``registry.withheld_references(assignment)`` is a stub; return that folder.

    The stub keeps signature and docstring and raises ``NotImplementedError`` naming the
    exercise and its notebook. Every other byte is copied, so the same inputs give the same
    files.
    """
    withheld = _withheld_by_module(assignment)
    out = Path(dest) / "course"
    if out.exists():
        shutil.rmtree(out)
    for path in _files(COURSE):
        rel = path.relative_to(COURSE)
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        names = withheld.pop(rel.as_posix(), None)
        if names:
            target.write_bytes(strip_module(path.read_bytes().decode("utf-8"), names).encode())
        else:
            target.write_bytes(path.read_bytes())
    if withheld:
        raise KeyError(f"withheld references in missing course modules: {sorted(withheld)}")
    return out


# --------------------------------------------------------------------------- the zip
def resolve(spec: str, release_dir: Path = config.ASSIGNMENTS) -> str:
    """The assignment id for ``spec``: the id itself or its number (``"03"``)."""
    known = config.list_assignments(release_dir)
    matches = [a for a in known if spec in (a, a.split("_", 1)[0])]
    if len(matches) != 1:
        raise ValueError(f"unknown assignment {spec!r}; known: {', '.join(known) or 'none'}")
    return matches[0]


def _dependencies() -> list[str]:
    """The course's runtime dependencies, from the repository's pyproject.toml."""
    text = (config.REPO / "pyproject.toml").read_text()
    try:
        import tomllib  # Python 3.11+
        return tomllib.loads(text)["project"]["dependencies"]
    except ImportError:
        block = re.search(r"^dependencies = \[(.*?)^\]", text, re.S | re.M).group(1)
        return re.findall(r'"([^"]+)"', block)


def _pyproject() -> str:
    """A minimal pyproject.toml: ``pip install -e .`` installs ``course`` and its dependencies."""
    dep_lines = "".join(f'    "{d}",\n' for d in _dependencies())
    return ('[build-system]\nrequires = ["setuptools>=68"]\n'
            'build-backend = "setuptools.build_meta"\n\n'
            '[project]\nname = "numpy-nn-course-student"\nversion = "0.1.0"\n'
            'requires-python = ">=3.10"\ndependencies = [\n' + dep_lines + ']\n\n'
            '[tool.setuptools.packages.find]\ninclude = ["course*"]\n')


def _readme(assignment: str, notebooks: list[str], later: list[str]) -> str:
    """The student README of the bundle of ``assignment``."""
    number = assignment.split("_", 1)[0]
    listing = "\n".join(f"- `assignments/{a}/{a}.ipynb`" + (" (this assignment)" if a == assignment
                                                             else "") for a in notebooks)
    numbers = [a.split("_", 1)[0] for a in notebooks[:-1]]
    if len(numbers) > 1:
        released = f"The answers of notebooks {', '.join(numbers[:-1])} and {numbers[-1]} are in."
    elif numbers:
        released = f"The answers of notebook {numbers[0]} are in."
    else:
        released = "It holds no answers yet."
    text = README.format(number=number, assignment=assignment, notebook_list=listing,
                         released=released)
    return text + NEXT_BUNDLE.format(next_example=later[0]) if later else text


def source_date(paths: list[Path]) -> int:
    """Seconds since 1970 that date the bundle's entries: ``SOURCE_DATE_EPOCH`` if set, else
    the time of the repository's last commit, else the newest of ``paths``."""
    if os.environ.get("SOURCE_DATE_EPOCH"):
        return int(os.environ["SOURCE_DATE_EPOCH"])
    try:
        out = subprocess.run(["git", "-C", str(config.REPO), "log", "-1", "--format=%ct"],
                             capture_output=True, text=True, check=True).stdout.strip()
        return int(out)
    except (OSError, subprocess.CalledProcessError, ValueError):
        return int(max(p.stat().st_mtime for p in paths))


def zip_date(epoch: int) -> tuple:
    """``epoch`` as a zip entry's date (UTC; even seconds, 1980 at the earliest)."""
    epoch = max(ZIP_EPOCH, int(epoch))
    return time.gmtime(epoch - epoch % 2)[:6]


def _add(zf: zipfile.ZipFile, name: str, data: bytes, date: tuple) -> None:
    """One deflated, world-readable entry dated ``date``."""
    info = zipfile.ZipInfo(name, date)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    zf.writestr(info, data)


def _tree(base: Path, prefix: str) -> list[tuple[str, Path]]:
    """(zip name, file) for every file under ``base`` that goes into a bundle."""
    return [(f"{prefix}/{p.relative_to(base).as_posix()}", p) for p in _files(base)]


def bundle(assignment: str, output: Path, release_dir: Path = config.ASSIGNMENTS) -> Path:
    """Write the student zip of ``assignment`` (id or number) to ``output``; return its path."""
    assignment = resolve(assignment, release_dir)
    known = config.list_assignments(release_dir)
    notebooks = [a for a in known if a <= assignment]
    later = [a for a in known if a > assignment]
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="grader-bundle-") as tmp:
        files = _tree(stripped_course(assignment, Path(tmp)), f"{TOP}/course")
        for a in notebooks:
            files += _tree(Path(release_dir) / a, f"{TOP}/assignments/{a}")
        sources = _files(COURSE) + [p for name, p in files if "/assignments/" in name]
        date = zip_date(source_date(sources))
        with zipfile.ZipFile(output, "w") as zf:
            _add(zf, f"{TOP}/README.md", _readme(assignment, notebooks, later).encode(), date)
            _add(zf, f"{TOP}/pyproject.toml", _pyproject().encode(), date)
            for name, path in files:
                data = as_jupyter_saves(path) if path.suffix == ".ipynb" else path.read_bytes()
                _add(zf, name, data, date)
    return output


def kernel_metadata() -> dict:
    """The notebook metadata JupyterLab writes once a python3 kernel (ipykernel) has started on
    this Python: its kernelspec and the kernel's ``language_info``."""
    from ipykernel.ipkernel import IPythonKernel
    from ipykernel.kernelspec import get_kernel_dict

    spec = get_kernel_dict()
    return {"kernelspec": {"display_name": spec["display_name"], "language": spec["language"],
                           "name": "python3"},
            "language_info": dict(IPythonKernel.language_info)}


def as_jupyter_saves(path: Path) -> bytes:
    """A notebook as JupyterLab saves it after opening it and starting its kernel (the
    kernel's metadata, nbformat's layout), so that opening it does not mark it modified.
    The Python version in ``language_info`` is the one building the bundle."""
    import nbformat

    nb = nbformat.read(str(path), as_version=4)
    nb.metadata.update(kernel_metadata())
    return (nbformat.writes(nb) + "\n").encode()
