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
