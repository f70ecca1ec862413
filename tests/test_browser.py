"""The student's path in a real browser: bundle 01 unzipped, JupyterLab started on it, notebook
01 opened in Chromium (driven by Playwright), one exercise answered wrongly and tested.

What it asserts is what a student sees: the notebook opens unmodified, its formulas render
without a MathJax error, a failed test shows the short message and its hint (no library
frames), and a figure renders. Screenshots are saved under the test's temporary folder and
their paths printed (``pytest -s`` shows them).

Chromium comes from the distribution (``make chromium``: ``apt-get install chromium``) and
Playwright for Python from PyPI (the ``dev`` extra); Playwright's own browser download is not
used. Without either the test is skipped with a message naming what is missing.
"""
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile

import pytest

from grader import __main__ as cli
from grader import bundle

NOTEBOOK = "assignments/01_linear_regression/01_linear_regression.ipynb"
TOKEN = "course-browser-test"
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def chromium_path() -> str | None:
    """The system's Chromium (``COURSE_CHROMIUM`` overrides the search)."""
    if os.environ.get("COURSE_CHROMIUM"):
        return os.environ["COURSE_CHROMIUM"]
    return next((shutil.which(name) for name in BROWSERS if shutil.which(name)), None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def lab(tmp_path):
    """JupyterLab on the unzipped bundle 01, on a loopback port: yields (url, bundle root)."""
    out = tmp_path / "bundle01.zip"
    assert cli.main(["bundle", "--assignment", "01", "--output", str(out)]) == 0
    zipfile.ZipFile(out).extractall(tmp_path)
    root = tmp_path / bundle.TOP
    home = tmp_path / "home"
    news = home / "settings" / "@jupyterlab" / "apputils-extension"
    news.mkdir(parents=True)       # no "get notified about Jupyter news?" toast over the output
    (news / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(root), "HOME": str(home),
           "JUPYTER_CONFIG_DIR": str(home / "config"), "JUPYTER_RUNTIME_DIR": str(home / "run"),
           "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
           "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
           "IPYTHONDIR": str(home / "ipython"), "MPLCONFIGDIR": str(home / "matplotlib")}
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}",
           "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={TOKEN}",
           f"--ServerApp.root_dir={root}", "--LabApp.expose_app_in_browser=True"]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    log = open(tmp_path / "jupyterlab.log", "w")
    server = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 180
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=5)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    pytest.fail("JupyterLab did not start:\n"
                                + (tmp_path / "jupyterlab.log").read_text()[-3000:])
                time.sleep(0.5)
        yield url, root
    finally:
        server.terminate()
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


PANEL = "window.jupyterapp.shell.currentWidget"

RUN_CELL = """async ([index]) => {
    const panel = window.jupyterapp.shell.currentWidget;
    panel.content.activeCellIndex = index;
    await window.jupyterapp.commands.execute('notebook:run-cell');
    const cell = panel.content.widgets[index];
    return cell.node.querySelector('.jp-OutputArea') ?
        cell.node.querySelector('.jp-OutputArea').innerText : '';
}"""


def cell_index(page, needle: str) -> int:
    """The index of the first cell whose source contains ``needle``."""
    index = page.evaluate(f"""([needle]) => {PANEL}.content.widgets.findIndex(
        c => c.model.sharedModel.getSource().includes(needle))""", [needle])
    assert index >= 0, f"no cell contains {needle!r}"
    return index


@pytest.mark.slow
def test_student_answers_an_exercise_wrongly_in_jupyterlab(lab, tmp_path):
    executable = chromium_path()
    if executable is None:
        pytest.skip("no Chromium found (looked for " + ", ".join(BROWSERS)
                    + "): run `make chromium` (apt-get install chromium) or set COURSE_CHROMIUM")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("Playwright for Python is missing: pip install -e '.[dev]'")

    url, root = lab
    shots = []
    start = time.perf_counter()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{url}/lab/tree/{NOTEBOOK}?token={TOKEN}")
            page.wait_for_function(f"window.jupyterapp && {PANEL} && {PANEL}.context"
                                   f" && {PANEL}.context.isReady", timeout=180_000)
            page.wait_for_function(f"{PANEL}.sessionContext.session"
                                   f" && {PANEL}.sessionContext.session.kernel"
                                   f" && {PANEL}.sessionContext.session.kernel.status === 'idle'",
                                   timeout=180_000)
            page.wait_for_timeout(1000)
            shots.append(tmp_path / "1_opened.png")
            page.screenshot(path=shots[-1])
            dirty_on_open = page.evaluate(f"{PANEL}.context.model.dirty")

            # every formula, rendered: bring each markdown cell into view once
            page.evaluate(f"""async () => {{
                for (const cell of {PANEL}.content.widgets) {{
                    cell.node.scrollIntoView();
                    await new Promise(r => setTimeout(r, 20));
                }}
            }}""")
            page.wait_for_timeout(2000)
            formulas = page.locator(".jp-MarkdownCell mjx-container").count()
            errors = page.locator("mjx-merror, [data-mjx-error]").count()
            assert errors == 0, f"MathJax reports {errors} error(s)"
            assert formulas >= 100, f"only {formulas} formulas rendered"

            # the setup cell, then a wrong predict and its test cell
            assert page.evaluate(RUN_CELL, [cell_index(page, "import numpy as np")]) == ""
            solution = cell_index(page, "def predict(X, W, b):")
            page.evaluate(f"""([i]) => {{
                const m = {PANEL}.content.widgets[i].model.sharedModel;
                m.setSource(m.getSource().replace('raise NotImplementedError()',
                                                  'return X @ W - b'));
            }}""", [solution])
            page.evaluate(RUN_CELL, [solution])
            failure = page.evaluate(RUN_CELL, [cell_index(page, '"""Checks predict()')])
            output = page.locator(".jp-Cell").nth(cell_index(page, '"""Checks predict()'))
            output.locator(".jp-OutputArea").scroll_into_view_if_needed()
            shots.append(tmp_path / "2_failed_test.png")
            page.screenshot(path=shots[-1])
            lines = failure.strip().splitlines()
            assert lines[0].startswith("Test failed: y_hat is wrong in"), failure
            assert lines[1] == ("Hint: y_hat = X @ W + b: X comes first, and b is added to "
                                "every row."), failure
            assert "checks.py" not in failure and len(lines) <= 5, failure

            # a demonstration with a figure, drawn with the (wrong) predict
            figure_cell = cell_index(page, "Three candidate lines")
            page.evaluate(RUN_CELL, [figure_cell])
            image = page.locator(".jp-Cell").nth(figure_cell).locator(".jp-RenderedImage img")
            image.wait_for(timeout=60_000)
            image.scroll_into_view_if_needed()
            assert image.evaluate("img => img.naturalWidth") > 200
            shots.append(tmp_path / "3_figure.png")
            page.screenshot(path=shots[-1])
        finally:
            browser.close()
    assert dirty_on_open is False, "opening the notebook and starting its kernel marked it modified"
    print(f"browser test: {time.perf_counter() - start:.1f} s in Chromium ({executable}), "
          f"{formulas} formulas; screenshots:")
    for shot in shots:
        print(f"  {shot}")
