"""The kernel sandbox hides the instructor's files and other kernels' folders."""
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from grader import sandbox

PROBE = """
import json, os, sys
from pathlib import Path
from grader import sandbox
ok = sandbox.isolate(Path(sys.argv[1]), Path(sys.argv[2]), keep=[Path(sys.argv[1]) / "cache"])
seen = {}
for p in sys.argv[3:]:
    try:
        seen[p] = Path(p).read_text() if Path(p).is_file() else sorted(os.listdir(p))
    except OSError:
        seen[p] = None
(Path(sys.argv[2]) / "written").write_text("ok")
print(json.dumps({"isolated": ok, "seen": seen}))
"""


@pytest.fixture
def layout():
    base = Path(tempfile.mkdtemp(dir="/tmp", prefix="sandbox-test-"))
    mine = Path(tempfile.mkdtemp(dir="/tmp", prefix="grader-run-"))
    other = Path(tempfile.mkdtemp(dir="/tmp", prefix="grader-run-"))
    work = base / "work"
    (work / "submitted" / "alice").mkdir(parents=True)
    (work / "submitted" / "alice" / "nb.ipynb").write_text("alice's answers")
    (work / "gradebook.db").write_text("grades")
    (work / "cache").mkdir()
    (work / "cache" / "font.json").write_text("cache")
    (other / "answers.txt").write_text("bob's answers")
    (mine / "input.txt").write_text("mine")
    yield work, mine, other
    for d in (base, mine, other):
        shutil.rmtree(d, ignore_errors=True)


def probe(work, mine, paths):
    out = subprocess.run([sys.executable, "-c", PROBE, str(work), str(mine), *map(str, paths)],
                         capture_output=True, text=True, timeout=60, cwd=sandbox.REPO)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_instructor_files_and_other_kernels_are_hidden(layout):
    work, mine, other = layout
    solution = next((sandbox.REPO / "solutions").glob("*/*.ipynb"))
    hidden = [solution, sandbox.REPO / "grader" / "bugs" / "__init__.py",
              work / "submitted" / "alice" / "nb.ipynb", work / "gradebook.db", other / "answers.txt"]
    visible = [mine / "input.txt", work / "cache" / "font.json", sandbox.REPO / "course" / "checks.py",
               sandbox.REPO / "grader" / "hidden" / "common.py"]
    result = probe(work, mine, hidden + visible)
    if not result["isolated"]:
        pytest.skip("this system does not allow a private mount namespace")
    for p in hidden:
        assert result["seen"][str(p)] in (None, "", []), f"{p} is visible in the sandbox"
    for p in visible:
        assert result["seen"][str(p)], f"{p} should stay readable"
    assert (mine / "written").read_text() == "ok", "the kernel's own folder must stay writable"
    assert solution.exists() and (other / "answers.txt").exists(), "the host must be unaffected"
