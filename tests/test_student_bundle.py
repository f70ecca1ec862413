"""What a student unzips: notebooks that JupyterLab opens unmodified, and a README whose
steps work as written."""
import json
import zipfile
from pathlib import Path

import nbformat
import pytest

from grader import __main__ as cli
from grader import bundle, config

NOTEBOOKS = config.list_assignments(config.ASSIGNMENTS)


@pytest.mark.parametrize("assignment", NOTEBOOKS)
def test_assignments_are_stored_as_jupyter_writes_them(assignment):
    """jupyter_server saves ``nbformat.writes(nb)`` and a newline; a file in any other layout
    changes on its first save, and the diff of a student's submission shows it."""
    path = config.ASSIGNMENTS / assignment / f"{assignment}.ipynb"
    text = path.read_text(encoding="utf-8")
    assert text == nbformat.writes(nbformat.reads(text, as_version=4)) + "\n"


def test_bundle_notebooks_carry_the_kernels_metadata(tmp_path):
    """JupyterLab writes the kernel's kernelspec and language_info into a notebook when its
    kernel starts, and marks it modified when they differ from the file's (the browser test
    sees that flag); the bundle's notebooks already hold them."""
    out = tmp_path / "b.zip"
    assert cli.main(["bundle", "--assignment", "02", "--output", str(out)]) == 0
    expected = bundle.kernel_metadata()
    assert expected["kernelspec"]["display_name"] == "Python 3 (ipykernel)"
    assert expected["language_info"]["codemirror_mode"] == {"name": "ipython", "version": 3}
    with zipfile.ZipFile(out) as zf:
        names = [n for n in zf.namelist() if n.endswith(".ipynb")]
        assert len(names) == 2
        for name in names:
            text = zf.read(name).decode()
            nb = json.loads(text)
            assert nb["metadata"]["kernelspec"] == expected["kernelspec"]
            assert nb["metadata"]["language_info"] == expected["language_info"]
            assert text == nbformat.writes(nbformat.reads(text, as_version=4)) + "\n"
            original = nbformat.read(str(config.ASSIGNMENTS / Path(name).parent.name
                                         / Path(name).name), as_version=4)
            assert [c.source for c in nbformat.reads(text, 4).cells] == \
                [c.source for c in original.cells]


def test_readme_steps_are_the_same_commands_everywhere(tmp_path):
    """The bundle's README gives every step verbatim from the unzipped folder, and the
    repository's README uses the same commands (the two once disagreed on `jupyter lab`)."""
    out = tmp_path / "b.zip"
    assert cli.main(["bundle", "--assignment", "01", "--output", str(out)]) == 0
    with zipfile.ZipFile(out) as zf:
        text = zf.read(f"{bundle.TOP}/README.md").decode()
        names = zf.namelist()
    steps = ["cd numpy-nn-course", "python -m venv .venv", ".venv/bin/pip install -e .",
             ".venv/bin/jupyter lab", ".venv/bin/python -m course.check assignments/"]
    positions = [text.index(step) for step in steps]
    assert positions == sorted(positions), "the README's steps are out of order"
    assert "about 115" in text and "minutes" in text            # what the install costs
    assert f"{bundle.TOP}/course/check.py" in names and f"{bundle.TOP}/course/errors.py" in names
    main = (config.REPO / "README.md").read_text()
    assert ".venv/bin/jupyter lab" in main and ".venv/bin/python -m course.check" in main
    assert "`jupyter lab`" not in main.replace(".venv/bin/jupyter lab", "")
