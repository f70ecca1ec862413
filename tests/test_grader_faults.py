"""Faults: limits keep every other cell's credit, a killed run resumes, bad input is skipped."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile

import nbformat
import psutil
import pytest
from nbgrader.api import Gradebook

from grader import autograde, config, records, submissions, synthetic

LIMITS = config.Limits(cell_timeout=6, notebook_timeout=90, memory_mb=250)
FIX = synthetic.FIXTURE


def write_nb(path, nb):
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))


def tree(folder, students):
    for student, kind in students.items():
        write_nb(folder / student / FIX / f"{FIX}.ipynb", synthetic.fixture_submission(kind))


@pytest.fixture()
def source(tmp_path):
    synthetic.make_fixture_source(tmp_path / "solutions")
    return tmp_path / "solutions"


def by_student(recs):
    return {r["student"]: r for r in recs}


def cells(rec):
    return {c["grade_id"]: c for c in rec["cells"]}


def test_limits_zero_one_cell_and_keep_the_others(tmp_path, source):
    kinds = {"loop": "infinite_loop", "bomb": "memory_bomb", "quit": "exit", "raise": "exception"}
    tree(tmp_path / "subs", kinds)
    recs = by_student(autograde.autograde(FIX, tmp_path / "subs", tmp_path / "work", jobs=2, limits=LIMITS,
                                          source_dir=source, progress=False))
    expected_status = {"loop": "time limit", "bomb": "out of memory", "quit": "kernel exited", "raise": "failed"}
    for student, status in expected_status.items():
        c = cells(recs[student])
        assert c["test_scale"]["points"] == 0
        assert c["test_scale"]["status"] == status, (student, c["test_scale"])
        assert c["test_add"]["points"] == 2 and c["test_mean_square"]["points"] == 5, (student, c)
        assert recs[student]["score"] == 7
    assert "ValueError: student bug" in cells(recs["raise"])["test_scale"]["message"]
    assert "time limit per cell" in cells(recs["loop"])["test_scale"]["message"]
    assert "time limit" in recs["loop"]["flags"]
    with Gradebook(config.db_url(tmp_path / "work"), config.COURSE_ID) as gb:
        for student in kinds:
            assert gb.find_submission(FIX, student).score == 7


def test_notebook_wall_clock_backstop_zeros_the_cells_not_reached(tmp_path, source):
    """A notebook that sleeps uses no CPU: the wall-clock backstop (notebook_timeout *
    wall_factor) stops it; the cells before keep their credit."""
    tree(tmp_path / "subs", {"slow": "sleep"})
    limits = config.Limits(cell_timeout=30, notebook_timeout=6, wall_factor=10, memory_mb=400)
    rec = autograde.autograde(FIX, tmp_path / "subs", tmp_path / "work", jobs=1, limits=limits,
                              source_dir=source, progress=False)[0]
    c = cells(rec)
    assert c["test_add"]["points"] == 2
    assert c["test_scale"]["points"] == 0 and c["test_mean_square"]["points"] == 0
    assert c["test_mean_square"]["status"] == "not run"
    assert "60 s of wall-clock time" in c["test_scale"]["message"], c["test_scale"]


@pytest.mark.parametrize("kind", ["infinite_loop", "forked_loop"])
def test_a_busy_loop_is_stopped_by_its_cpu_time(tmp_path, source, kind):
    """An endless computation is stopped after the cell's CPU seconds, long before the
    wall-clock backstop, and the rest of the notebook still runs; computing in child processes
    that exit one after the other counts too."""
    tree(tmp_path / "subs", {"spin": kind})
    limits = config.Limits(cell_timeout=4, notebook_timeout=600, wall_factor=25, memory_mb=400)
    started = time.monotonic()
    rec = autograde.autograde(FIX, tmp_path / "subs", tmp_path / "work", jobs=1, limits=limits,
                              source_dir=source, progress=False)[0]
    c = cells(rec)
    assert c["test_add"]["points"] == 2 and c["test_scale"]["points"] == 0
    assert "4 s of CPU time" in c["test_scale"]["message"], c["test_scale"]
    assert c["test_mean_square"]["status"] != "not run"
    assert time.monotonic() - started < 100    # the backstop would be 4 * 25 s


def _grades(work):
    return {(r["student"], c["grade_id"]): c["points"] for r in records.all_results(work) for c in r["cells"]}


def _autograde_argv(source, subs, workdir) -> list:
    """``python -m grader autograde`` of the fixture class ``subs`` into ``workdir``, two jobs."""
    return [sys.executable, "-m", "grader", "--workdir", str(workdir), "--source-dir", str(source),
            "autograde", FIX, str(subs), "--jobs", "2", "--no-progress", "--cell-timeout", "20"]


def test_sigkilled_run_resumes_to_the_same_grades(tmp_path, source):
    kinds = ["correct", "wrong", "exception", "untouched", "syntax_error", "correct"]
    tree(tmp_path / "subs", {f"s{i}": k for i, k in enumerate(kinds)})
    killed = tmp_path / "killed"
    proc = subprocess.Popen(_autograde_argv(source, tmp_path / "subs", killed), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.time() + 600   # a loaded machine takes minutes for the first record
    results = killed / "results" / FIX
    while time.time() < deadline and len(list(results.glob("*.json"))) < 2:
        time.sleep(0.2)
    family = psutil.Process(proc.pid).children(recursive=True)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = len(list(results.glob("*.json")))
    assert 0 < done_before < len(kinds), "kill the run in the middle"
    gone, alive = psutil.wait_procs(family, timeout=15)
    assert not alive, f"orphaned grading processes: {alive}"
    # resume, then grade the same class without interruption elsewhere
    assert subprocess.run(_autograde_argv(source, tmp_path / "subs", killed), capture_output=True).returncode == 0
    clean = tmp_path / "clean"
    assert subprocess.run(_autograde_argv(source, tmp_path / "subs", clean), capture_output=True).returncode == 0
    assert _grades(killed) == _grades(clean) and len(_grades(clean)) == 3 * len(kinds)
    with Gradebook(config.db_url(killed), config.COURSE_ID) as gb:
        subs = gb.find_assignment(FIX).submissions
        assert len(subs) == len(kinds)                      # nobody counted twice
        assert sum(s.score for s in subs) == sum(r["score"] for r in records.all_results(clean))


def _worker_processes(pid):
    """The Dask worker processes of a grading process (spawned by its LocalCluster's nannies)."""
    return [p for p in psutil.Process(pid).children()
            if "spawn_main" in " ".join(p.cmdline()) and "resource_tracker" not in " ".join(p.cmdline())]


def test_a_sigkilled_worker_loses_nothing(tmp_path, source):
    """SIGKILL of one worker process while it grades: its notebook runs again on a fresh worker
    and the run ends with the grades of an undisturbed run."""
    kinds = ["correct", "wrong", "exception", "untouched", "correct", "wrong"]
    tree(tmp_path / "subs", {f"s{i}": k for i, k in enumerate(kinds)})
    hit = tmp_path / "hit"
    proc = subprocess.Popen(_autograde_argv(source, tmp_path / "subs", hit), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 600
    busy = []
    while time.time() < deadline and not busy and proc.poll() is None:   # a worker with a kernel
        time.sleep(0.2)
        busy = [w for w in _worker_processes(proc.pid) if w.children(recursive=True)]
    assert busy, "no worker was grading"
    busy[0].kill()
    out = proc.communicate(timeout=900)[0]
    assert proc.returncode == 0, out
    assert "SKIPPED" not in out and "worker lost" not in out, out
    clean = tmp_path / "clean"
    assert subprocess.run(_autograde_argv(source, tmp_path / "subs", clean), capture_output=True).returncode == 0
    assert _grades(hit) == _grades(clean) and len(_grades(clean)) == 3 * len(kinds)


def test_bad_input_is_reported_and_skipped(tmp_path, source):
    subs = tmp_path / "subs"
    tree(subs, {"good": "correct"})
    (subs / "badjson" / FIX).mkdir(parents=True)
    (subs / "badjson" / FIX / f"{FIX}.ipynb").write_text('{"cells": [')
    v3 = {"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": [{"cells": []}]}
    (subs / "oldformat" / FIX).mkdir(parents=True)
    (subs / "oldformat" / FIX / f"{FIX}.ipynb").write_text(json.dumps(v3))
    missing = synthetic.fixture_submission("correct")
    missing.cells = [c for c in missing.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "test_scale"]
    write_nb(subs / "missing" / FIX / f"{FIX}.ipynb", missing)
    dup = synthetic.fixture_submission("correct")
    dup.cells.append(nbformat.from_dict(dict(dup.cells[2], id="copied")))
    write_nb(subs / "duplicate" / FIX / f"{FIX}.ipynb", dup)
    write_nb(subs / "renamed" / FIX / "my_homework.ipynb", synthetic.fixture_submission("correct"))
    (subs / "empty").mkdir()
    write_nb(subs / "unknown" / "99_nothing" / "99_nothing.ipynb", synthetic.fixture_submission("correct"))
    write_nb(subs / "odd name!" / FIX / f"{FIX}.ipynb", synthetic.fixture_submission("correct"))
    (subs / "stray_file.txt").write_text("hello")
    tree(subs, {"twice": "correct"})
    write_nb(subs / "twice" / f"{FIX}.ipynb", synthetic.fixture_submission("wrong"))
    # hostile files: nesting that overflows the JSON parser, links to the solution (a file
    # and a folder), a file too big to be a notebook, bytes that are not UTF-8
    (subs / "deep" / FIX).mkdir(parents=True)
    (subs / "deep" / FIX / f"{FIX}.ipynb").write_text("[" * 100_000 + "]" * 100_000)
    solution = source / FIX / f"{FIX}.ipynb"
    (subs / "linker" / FIX).mkdir(parents=True)
    (subs / "linker" / FIX / f"{FIX}.ipynb").symlink_to(solution)
    (subs / "dirlinker").mkdir()
    (subs / "dirlinker" / FIX).symlink_to(source / FIX, target_is_directory=True)
    (subs / "huge" / FIX).mkdir(parents=True)
    with open(subs / "huge" / FIX / f"{FIX}.ipynb", "wb") as f:
        f.truncate(submissions.MAX_NOTEBOOK_BYTES + 1)
    (subs / "latin1" / FIX).mkdir(parents=True)
    (subs / "latin1" / FIX / f"{FIX}.ipynb").write_bytes('{"cells": ["caf\xe9"]}'.encode("latin-1"))
    recs = autograde.autograde(FIX, subs, tmp_path / "work", jobs=2, limits=LIMITS, source_dir=source,
                               progress=False)
    problems = {r["origin"].split("/")[0]: r["problem"] for r in recs if r["status"] != "graded"}
    assert [r["student"] for r in recs if r["status"] == "graded"] == ["good", "twice"]
    assert by_student(recs)["good"]["score"] == 10
    assert records.read_result(tmp_path / "work", FIX, "twice")["score"] == 10
    assert "second submission" in problems["twice"]
    assert "invalid JSON" in problems["badjson"]
    assert "nbformat 3" in problems["oldformat"]
    assert "missing cells: test_scale" in problems["missing"]
    assert "duplicated cells: add" in problems["duplicate"]
    assert "renamed notebook" in problems["renamed"] and "my_homework.ipynb" in problems["renamed"]
    assert "empty folder" in problems["empty"]
    assert "unknown assignment '99_nothing'" in problems["unknown"]
    assert "odd student folder name" in problems["odd name!"]
    assert "odd file name" in problems["stray_file.txt"]
    assert "nested too deeply" in problems["deep"]
    assert problems["linker"] == problems["dirlinker"] == submissions.SYMLINK
    assert "above the 100 MB limit" in problems["huge"]
    assert "not UTF-8" in problems["latin1"]
    assert all("\n" not in p for p in problems.values())


def test_canvas_zip_and_zipped_tree(tmp_path, source):
    canvas = tmp_path / "canvas.zip"
    good, wrong = (nbformat.writes(synthetic.fixture_submission(k)) for k in ("correct", "wrong"))
    with zipfile.ZipFile(canvas, "w") as zf:
        zf.writestr(f"doejane_1001_501_{FIX}.ipynb", wrong)
        zf.writestr(f"doejane_1001_777_{FIX}-1.ipynb", good)          # resubmission: the latest counts
        zf.writestr(f"roebob_LATE_1002_502_{FIX}.ipynb", wrong)
        zf.writestr("roebob_LATE_1002_503_notes.txt", "not a notebook")
    recs = by_student(autograde.autograde(FIX, canvas, tmp_path / "w1", jobs=2, limits=LIMITS,
                                          source_dir=source, progress=False))
    assert recs["1001"]["score"] == 10 and any("latest" in f for f in recs["1001"]["flags"])
    graded_bob = [r for r in recs.values() if r["student"] == "1002"]
    assert recs["1002"]["status"] in ("graded", "invalid")
    bob = next(r for r in records.all_results(tmp_path / "w1") if r["student"] == "1002")
    assert bob["score"] == 7 and "late" in bob["flags"]
    assert graded_bob
    zipped = tmp_path / "tree.zip"
    with zipfile.ZipFile(zipped, "w") as zf:
        zf.writestr(f"submissions/alice/{FIX}/{FIX}.ipynb", good)
        zf.writestr("../evil.txt", "outside")
    recs = by_student(autograde.autograde(FIX, zipped, tmp_path / "w2", jobs=1, limits=LIMITS,
                                          source_dir=source, progress=False))
    assert recs["alice"]["score"] == 10
    assert not (tmp_path / "evil.txt").exists()


def test_kernel_is_isolated(tmp_path, source, monkeypatch):
    monkeypatch.setenv("INSTRUCTOR_SECRET", "42")
    nb = synthetic.fixture_submission("correct")
    work = tmp_path / "work"
    probe = ("import os, json\nprint(json.dumps({'env': sorted(os.environ), 'cwd': sorted(os.listdir('.')),"
             f" 'home': os.environ.get('HOME'), 'here': os.getcwd(),"
             f" 'work': os.path.isdir({str(work)!r}) and os.listdir({str(work)!r}),"
             f" 'source': os.path.isdir({str(source)!r}) and os.listdir({str(source)!r})}}))")
    nb.cells.insert(2, nbformat.v4.new_code_cell(probe))
    write_nb(tmp_path / "subs" / "probe" / FIX / f"{FIX}.ipynb", nb)
    rec = autograde.autograde(FIX, tmp_path / "subs", tmp_path / "work", jobs=1, limits=LIMITS,
                              source_dir=source, progress=False)[0]
    assert rec["score"] == 10
    done = nbformat.read(str(autograde.autograded_path(tmp_path / "work", "probe", FIX)), as_version=4)
    seen = json.loads(next(c for c in done.cells if c.source == probe).outputs[0].text)
    assert "INSTRUCTOR_SECRET" not in seen["env"]
    assert seen["cwd"] == [f"{FIX}.ipynb"]
    assert seen["home"] != os.path.expanduser("~") and str(tmp_path) not in seen["here"]
    if rec["sandbox"]["sandbox"]:   # the gradebook, other submissions and solutions are hidden
        # of the work directory only the stripped course/ the kernel imports is there
        assert not seen["work"] and not seen["source"]
    else:
        assert "sandbox" in rec["sandbox"]["reason"] or "bubblewrap" in rec["sandbox"]["reason"]
    if sys.platform.startswith("linux") and os.geteuid() == 0 and shutil.which("bwrap"):
        assert rec["sandbox"]["sandbox"], f"as root with bwrap the sandbox must engage: {rec}"
    assert (work / "gradebook.db").is_file() and (source / FIX).is_dir()   # but only in the kernel
    from grader.execute import kernel_env
    added_by_kernel = ("JPY_", "CLICOLOR", "FORCE_COLOR", "PYDEVD", "PAGER", "GIT_PAGER", "TERM")
    allowed = set(kernel_env(tmp_path, {})) | {"COURSE_DATA_DIR"}
    allowed |= {"PWD", "PYTHONPATH"}   # set by the sandbox (bwrap; the code paths' parents)
    assert {k for k in seen["env"] if not k.startswith(added_by_kernel)} <= allowed
