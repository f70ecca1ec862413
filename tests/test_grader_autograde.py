"""Autograding a class: scores, gradebook, CSV, table, resume; every real notebook graded."""
import contextlib
import csv
import subprocess
import sys

import nbformat
import pytest
from nbgrader.api import Gradebook

from grader import __main__ as cli
from grader import autograde, config, export, release, synthetic

FAST = config.Limits(cell_timeout=20, notebook_timeout=120, memory_mb=1024)
KINDS = {"alice": "correct", "bob": "untouched", "carol": "wrong", "dave": "exception"}


def write_class(folder, kinds, work_seconds=0.0):
    for student, kind in kinds.items():
        path = folder / student / synthetic.FIXTURE / f"{synthetic.FIXTURE}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(synthetic.fixture_submission(kind, work_seconds), str(path))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("class")
    src, subs, work = tmp / "solutions", tmp / "subs", tmp / "work"
    synthetic.make_fixture_source(src)
    write_class(subs, KINDS)
    recs = autograde.autograde(synthetic.FIXTURE, subs, work, jobs=2, limits=FAST, source_dir=src, progress=False)
    return src, subs, work, {r["student"]: r for r in recs}


def points(record):
    return {c["grade_id"]: c["points"] for c in record["cells"]}


def test_scores_per_exercise(graded):
    *_, recs = graded
    assert points(recs["alice"]) == {"test_add": 2, "test_scale": 3, "test_mean_square": 5}
    assert points(recs["bob"]) == {"test_add": 0, "test_scale": 0, "test_mean_square": 0}
    assert points(recs["carol"]) == {"test_add": 2, "test_scale": 0, "test_mean_square": 5}
    assert points(recs["dave"]) == {"test_add": 2, "test_scale": 0, "test_mean_square": 5}
    failed = {c["grade_id"]: c for c in recs["carol"]["cells"]}["test_scale"]
    assert failed["status"] == "failed" and "scale on a hidden input" in failed["message"]
    assert "Likely mistake: Scale multiplies." in failed["message"]
    assert failed["name"] == "Checks scale() on a short vector."


def test_two_workers_grade_like_a_serial_run(graded, tmp_path):
    """The two-worker LocalCluster of the fixture and one worker give the same grades."""
    src, subs, work, recs = graded
    serial = autograde.autograde(synthetic.FIXTURE, subs, tmp_path / "serial", jobs=1, limits=FAST,
                                 source_dir=src, progress=False)
    assert {r["student"]: points(r) for r in serial} == {s: points(r) for s, r in recs.items()}


def test_a_run_opens_the_gradebook_as_often_for_one_student_as_for_four(graded, tmp_path,
                                                                        monkeypatch):
    """One gradebook connection serves a whole run, nbgrader's preprocessors included (they
    opened their own for every notebook: five opens per submission with ours)."""
    src, subs, _, recs = graded
    write_class(tmp_path / "one", {"alice": "correct"})
    opened = []
    real_init = Gradebook.__init__

    def counted(self, *args, **kwargs):
        opened.append(args[0] if args else kwargs.get("db_url"))
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(Gradebook, "__init__", counted)
    counts = []
    for name, folder in (("one", tmp_path / "one"), ("four", subs)):
        opened.clear()
        again = autograde.autograde(synthetic.FIXTURE, folder, tmp_path / f"work-{name}", jobs=1,
                                    limits=FAST, source_dir=src, progress=False)
        counts.append(len(opened))
    assert {r["student"]: points(r) for r in again} == {s: points(r) for s, r in recs.items()}
    assert counts[0] == counts[1], counts


def test_grading_through_a_separately_started_scheduler(graded, tmp_path):
    """--scheduler: the same class on a cluster the grader did not start grades the same."""
    from distributed import LocalCluster

    src, subs, work, recs = graded
    with LocalCluster(n_workers=2, threads_per_worker=1, resources={"memory_mb": 1024},
                      dashboard_address=None) as other:
        again = autograde.autograde(synthetic.FIXTURE, subs, tmp_path / "remote", limits=FAST,
                                    source_dir=src, progress=False, scheduler=other.scheduler_address)
    assert {r["student"]: points(r) for r in again} == {s: points(r) for s, r in recs.items()}


def test_a_stale_worker_refuses_and_says_how_to_update(graded, tmp_path, monkeypatch):
    """A parent whose version differs from the workers' (here: the parent's hash is patched, the
    worker processes compute their own) gets every submission refused with the update advice."""
    src, subs, work, recs = graded
    monkeypatch.setattr(config, "installed_version", lambda *a: "0123456789abcdef")
    again = autograde.autograde(synthetic.FIXTURE, subs, tmp_path / "stale", jobs=2, limits=FAST,
                                source_dir=src, progress=False)
    assert [r["status"] for r in again] == ["invalid"] * len(KINDS)
    assert all("VersionMismatch" in r["problem"] and "pip install -e" in r["problem"] for r in again)


def test_gradebook_holds_the_same_scores(graded):
    src, subs, work, recs = graded
    with Gradebook(config.db_url(work), config.COURSE_ID) as gb:
        for student, rec in recs.items():
            nb = gb.find_submission_notebook(synthetic.FIXTURE, synthetic.FIXTURE, student)
            assert {g.name: g.score for g in nb.grades} == points(rec)


def test_csv_and_table(graded, tmp_path):
    src, subs, work, recs = graded
    path = export.write_csv(work, tmp_path / "grades.csv")
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert [r["student"] for r in rows] == sorted(KINDS)
    alice = rows[0]
    assert alice["assignment"] == synthetic.FIXTURE
    assert (alice["test_add"], alice["test_scale"], alice["test_mean_square"]) == ("2", "3", "5")
    assert (alice["total"], alice["max"]) == ("10", "10")
    assert rows[2]["total"] == "7"
    text = export.table(work)
    assert "carol" in text and "7/10" in text and "10/10" in text


def test_rerun_grades_nothing_and_changed_submission_is_regraded(graded, monkeypatch):
    src, subs, work, recs = graded
    calls = []
    real_run = autograde._run
    monkeypatch.setattr(autograde, "_run", lambda pending, *a, **k: (calls.append(len(pending)), real_run(pending, *a, **k)))
    again = autograde.autograde(synthetic.FIXTURE, subs, work, jobs=2, limits=FAST, source_dir=src, progress=False)
    assert calls == [0]
    assert {r["student"]: points(r) for r in again} == {s: points(r) for s, r in recs.items()}
    # carol fixes her bug: only her notebook runs again
    write_class(subs, {"carol": "correct"})
    again = autograde.autograde(synthetic.FIXTURE, subs, work, jobs=2, limits=FAST, source_dir=src, progress=False)
    assert calls == [0, 1]
    assert points({r["student"]: r for r in again}["carol"])["test_scale"] == 3
    write_class(subs, {"carol": "wrong"})   # restore for the other tests


def test_cli_autograde_prints_table_and_writes_csv(tmp_path, capsys):
    src, subs = tmp_path / "solutions", tmp_path / "subs"
    synthetic.make_fixture_source(src)
    write_class(subs, {"erin": "correct"})
    rc = cli.main(["--workdir", str(tmp_path / "w"), "--source-dir", str(src), "autograde", synthetic.FIXTURE,
                   str(subs), "--jobs", "1", "--no-progress", "--cell-timeout", "20"])
    out = capsys.readouterr().out
    assert rc == 0 and "erin" in out and "10/10" in out
    assert (tmp_path / "w" / "grades.csv").read_text().startswith("student,assignment,test_add")
    assert cli.main(["--workdir", str(tmp_path / "w"), "--source-dir", str(src), "autograde", "nope", str(subs)]) == 2


@contextlib.contextmanager
def cpu_burners(count: int):
    """``count`` processes that spin on the CPU until the block ends (a busy grading machine)."""
    procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]
    try:
        yield
    finally:
        for p in procs:
            p.kill()
            p.wait()


#: graded beside two CPU burners: limits are CPU time, so a busy machine costs no points
UNDER_LOAD = {"01_linear_regression", "06_mnist"}


@pytest.mark.slow
@pytest.mark.parametrize("assignment", config.list_assignments())
def test_reference_full_marks_untouched_zero(assignment, tmp_path):
    """The reference solution earns every point; the untouched student version earns none
    (for 01 and 06 while two other processes keep both cores busy)."""
    source = nbformat.read(str(config.SOLUTIONS / assignment / f"{assignment}.ipynb"), as_version=4)
    with_release = tmp_path / "release"
    release.release([assignment], config.SOLUTIONS, with_release)
    class_dir = tmp_path / "subs"
    for student, nb in {"reference": release.studentize(source, keep_solutions=True),
                        "untouched": nbformat.read(str(with_release / assignment / f"{assignment}.ipynb"),
                                                   as_version=4)}.items():
        path = class_dir / student / assignment / f"{assignment}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(nb, str(path))
    with cpu_burners(2 if assignment in UNDER_LOAD else 0):
        recs = {r["student"]: r for r in autograde.autograde(assignment, class_dir, tmp_path / "work",
                                                             jobs=2, progress=False)}
    ref, untouched = recs["reference"], recs["untouched"]
    assert ref["status"] == "graded" and untouched["status"] == "graded"
    assert ref["cells"], "no grade cells found"
    for cell in ref["cells"]:
        assert cell["points"] == cell["max_points"], f"reference loses points in {cell['grade_id']}: {cell['message']}"
    for cell in untouched["cells"]:
        assert cell["points"] == 0, f"untouched notebook earns points in {cell['grade_id']}"


def test_records_not_yet_in_gradebook_are_written_without_regrading(tmp_path, monkeypatch):
    """A run killed after a record was saved but before the gradebook write: the next run
    writes the gradebook from the stored executed notebook instead of grading again."""
    src, subs, work = tmp_path / "solutions", tmp_path / "subs", tmp_path / "work"
    synthetic.make_fixture_source(src)
    write_class(subs, {"gus": "wrong"})
    autograde.autograde(synthetic.FIXTURE, subs, work, jobs=1, limits=FAST, source_dir=src, progress=False)
    from grader import records
    rec = records.read_result(work, synthetic.FIXTURE, "gus")
    rec["synced"] = False
    records.write_result(work, rec)
    (work / "gradebook.db").unlink()
    calls = []
    real_run = autograde._run
    monkeypatch.setattr(autograde, "_run", lambda pending, *a, **k: (calls.append(len(pending)), real_run(pending, *a, **k)))
    autograde.autograde(synthetic.FIXTURE, subs, work, jobs=1, limits=FAST, source_dir=src, progress=False)
    assert calls == [0]
    assert records.read_result(work, synthetic.FIXTURE, "gus")["synced"] is True
    with Gradebook(config.db_url(work), config.COURSE_ID) as gb:
        assert gb.find_submission(synthetic.FIXTURE, "gus").score == 7
