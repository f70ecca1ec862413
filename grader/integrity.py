"""Flag submissions whose code tries to game the grader, for a human to review.

A static scan of every cell a student could have written or changed (solution cells and any
cell without nbgrader metadata). Nothing here changes a score: hidden checks
run in the grader's process (``grader.trusted``) and decide points outside the kernel, so a flag
only tells the instructor where to look. Rules are about classes of attack (patching shared
modules, escaping the kernel, reading instructor files, lying objects, calling the reference)
rather than exact strings.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass

from .registry import nbgrader_meta

# Modules whose attributes a student has no reason to assign to.
SHARED_MODULES = {"np", "numpy", "course", "grader", "builtins", "math", "sys", "os", "IPython",
                  "nbgrader", "pytest", "unittest"}
# Calls that end, fork or escape the kernel, or reach outside the notebook.
ESCAPE_CALLS = {"os._exit", "sys.exit", "exit", "quit", "os.kill", "os.fork", "os.system",
                "os.popen", "os.execv", "os.execl", "os.abort", "signal.signal", "signal.alarm",
                "signal.setitimer", "eval", "exec", "compile", "__import__",
                "importlib.import_module", "importlib.reload", "setattr", "delattr",
                "get_ipython", "gc.get_objects", "gc.get_referrers", "inspect.getsource"}
ESCAPE_MODULES = {"subprocess", "ctypes", "signal", "multiprocessing", "threading", "socket",
                  "pickle", "marshal", "shutil", "pty", "resource", "importlib", "inspect", "gc",
                  "runpy", "code", "types", "concurrent"}
# Calls (by their last name) that load or run code from a file.
CODE_LOADERS = {"run_path", "run_module", "spec_from_file_location", "exec_module", "load_module",
                "module_from_spec", "SourceFileLoader"}
FILE_CALLS = {"open", "io.open", "os.open", "os.listdir", "os.scandir", "glob.glob", "os.walk",
              "pathlib.Path", "Path", "np.load", "numpy.load", "os.remove", "os.unlink"}
DUNDERS_THAT_LIE = {"__eq__", "__ne__", "__bool__", "__array_ufunc__", "__array_function__",
                    "__array_finalize__", "__float__", "__abs__", "__sub__", "__lt__", "__le__",
                    "__gt__", "__ge__", "__getattr__", "__getattribute__", "__class__"}
INTROSPECTION = {"__code__", "__globals__", "__builtins__", "__closure__", "__dict__",
                 "__subclasses__", "__mro__", "__wrapped__", "__wrapped_check__", "f_globals",
                 "f_locals", "f_back", "modules", "excepthook", "set_custom_exc",
                 "showtraceback", "environ", "displayhook", "__grader__", "__loader__",
                 "__spec__"}
# Builtins that hand out namespaces or attributes by name.
NAMESPACE_CALLS = {"vars", "globals", "locals", "dir"}
INSTRUCTOR_WORDS = ("solution", "gradebook", "grader", "hidden", "autograded", "submitted",
                    ".db", "sealed", "/home", "/root", "..")


@dataclass(frozen=True)
class Flag:
    """One suspicious construct: where it is and which rule it breaks."""

    cell: str
    line: int
    rule: str
    code: str

    def __str__(self) -> str:
        return f"{self.rule} (cell {self.cell}, line {self.line}: {self.code})"


def dotted(node) -> str:
    """``a.b.c`` for an attribute chain of names, else ``""``."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return ""


def scan_source(source: str, cell: str, exercise_names: set[str]) -> list[Flag]:
    """Flags for one cell's source.

    Parameters
    ----------
    source : str
        The cell's code (IPython magics and shell escapes are flagged, then dropped).
    cell : str
        Name of the cell in messages (grade_id or index).
    exercise_names : set of str
        Function names the notebook's exercises define: calling ``course.<...>.<name>`` for one
        of them, or importing it from ``course``, is using the reference.
    """
    flags: list[Flag] = []
    lines = source.splitlines()

    def flag(node, rule):
        n = getattr(node, "lineno", 1)
        flags.append(Flag(cell, n, rule, lines[n - 1].strip()[:80] if n <= len(lines) else ""))

    kept = []
    for i, line in enumerate(lines, 1):
        if line.lstrip().startswith(("%", "!")):
            flags.append(Flag(cell, i, "IPython magic or shell escape", line.strip()[:80]))
            kept.append("")
        else:
            kept.append(line)
    try:
        tree = ast.parse("\n".join(kept))
    except SyntaxError as exc:
        return flags + [Flag(cell, exc.lineno or 1, "syntax error", str(exc.msg))]

    course_aliases = {"course"}  # names bound to course modules in this cell
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            course_aliases |= {a.asname or a.name for a in node.names if a.name.startswith("course")}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("course"):
            course_aliases |= {a.asname or a.name for a in node.names}

    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names]
            module = node.module if isinstance(node, ast.ImportFrom) else ""
            roots = {(module or n).split(".")[0] for n in names}
            if roots & ESCAPE_MODULES or any(n.split(".")[0] in ESCAPE_MODULES for n in names):
                flag(node, "imports a module that can escape or inspect the kernel")
            if (module or "").startswith("grader") or any(n.startswith("grader") for n in names):
                flag(node, "imports the grader")
            if (module or "").startswith("course") and set(names) & exercise_names:
                flag(node, "imports the reference implementation of an exercise")
        elif isinstance(node, ast.Call):
            name = dotted(node.func)
            last = name.split(".")[-1]
            if name in ESCAPE_CALLS or last in {"_exit", "system", "fork", "kill"}:
                flag(node, f"calls {name}")
            if last in CODE_LOADERS and "." in name:
                flag(node, f"loads code from a file ({name})")
            if name in NAMESPACE_CALLS:
                flag(node, f"uses introspection ({name})")
            if (name in {"getattr", "hasattr"} and len(node.args) > 1
                    and not isinstance(node.args[1], ast.Constant)):
                flag(node, "dynamic attribute access (getattr with a computed name)")
            if ("." in name and name.split(".")[0] in course_aliases
                    and name.split(".")[-1] in exercise_names):
                flag(node, "calls the reference implementation of an exercise")
            if name in FILE_CALLS:
                _flag_file_access(node, name, flag)
        if (isinstance(node, ast.Attribute) and node.attr in exercise_names
                and dotted(node).split(".")[0] in course_aliases
                and not _called(node, tree)):
            flag(node, "uses the reference implementation of an exercise")
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
            for t in targets:
                if isinstance(t, ast.Attribute) and dotted(t).split(".")[0] in SHARED_MODULES:
                    flag(node, f"patches a shared module ({dotted(t)})")
                if isinstance(t, ast.Name) and t.id in {"__builtins__", "print", "AssertionError",
                                                        "isinstance", "type", "len", "abs", "all",
                                                        "any", "float", "int", "bool", "range"}:
                    flag(node, f"rebinds the builtin {t.id}")
        elif isinstance(node, ast.FunctionDef) and node.name in DUNDERS_THAT_LIE:
            flag(node, f"defines {node.name} (an object that may lie to comparisons)")
        elif isinstance(node, ast.Attribute) and node.attr in INTROSPECTION:
            flag(node, f"uses introspection ({node.attr})")
    return flags


def _called(attr, tree) -> bool:
    """Whether ``attr`` is the function of a call (flagged as a call instead)."""
    return any(isinstance(n, ast.Call) and n.func is attr for n in ast.walk(tree))


def _flag_file_access(node, name, flag) -> None:
    """Flag a file call whose path is computed, names an instructor's file, or that writes."""
    path = node.args[0] if node.args else None
    if not (isinstance(path, ast.Constant) and isinstance(path.value, str)):
        flag(node, f"reads or lists files ({name} of a path built at run time)")
    elif any(w in path.value.lower() for w in INSTRUCTOR_WORDS):
        flag(node, f"reads or lists files ({name})")
    mode = node.args[1] if len(node.args) > 1 else next(
        (k.value for k in node.keywords if k.arg == "mode"), None)
    if isinstance(mode, ast.Constant) and isinstance(mode.value, str) and set(mode.value) & set("wax+"):
        flag(node, f"writes files ({name} with mode {mode.value!r})")


def exercise_function_names(source_nb) -> set[str]:
    """Names of the functions defined in the solution cells of the instructor's notebook."""
    names = set()
    for cell in source_nb.cells:
        if cell.cell_type == "code" and nbgrader_meta(cell).get("solution"):
            try:
                tree = ast.parse("\n".join(l for l in cell.source.splitlines()
                                           if not l.lstrip().startswith(("%", "!"))))
            except SyntaxError:
                continue
            names |= {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    return names


def scan_submission(submitted_nb, source_nb) -> list[Flag]:
    """Flags for every cell a student could have written in ``submitted_nb``.

    Solution cells and cells without nbgrader metadata are scanned (a student may add cells);
    locked cells are restored from ``source_nb`` by nbgrader before grading, so they are not.
    """
    exercises = exercise_function_names(source_nb)
    source_ids = {nbgrader_meta(c).get("grade_id")
                  for c in source_nb.cells}
    flags: list[Flag] = []
    for index, cell in enumerate(submitted_nb.cells):
        if cell.get("cell_type") != "code":
            continue
        meta = nbgrader_meta(cell)
        if meta.get("grade") or (meta.get("locked") and meta.get("grade_id") in source_ids):
            continue
        flags.extend(scan_source(cell.get("source", ""), meta.get("grade_id") or f"#{index}",
                                 exercises))
    return flags


def summarize(flags: list[Flag]) -> str:
    """One short field for the grades export: the distinct rules, ``;``-separated."""
    return "; ".join(sorted({f.rule for f in flags}))
