"""Issue 11 item 6: the analyst's workflow. `make lab` opens JupyterLab at the repository root
(so reports/lab, where the notebooks write, is in view) and works as root; notebooks are
committed without outputs (nbstripout as a git filter, cell ids kept)."""
from __future__ import annotations

import json
import os
import shlex
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT

BIN = str(Path(sys.executable).parent)  # the venv running the tests stands for .venv/bin
pytestmark = pytest.mark.skipif(shutil.which("make") is None or shutil.which("git") is None,
                                reason="needs make and git")


def _make_n(*args: str) -> list[str]:
    """The commands `make` would run (dry run), with this venv as .venv and setup taken as done."""
    out = subprocess.run(["make", "-n", "-C", str(ROOT), f"BIN={BIN}", f"STAMP={ROOT / 'Makefile'}", *args],
                         capture_output=True, text=True, check=True).stdout
    return [line for line in out.splitlines() if line.strip() and not line.startswith("make")]


def _lab_command(*args: str) -> list[str]:
    [line] = [c for c in _make_n("lab", *args) if "jupyter lab" in c]
    return shlex.split(line)


def test_make_lab_roots_jupyterlab_at_the_repository_and_passes_lab_flags():
    cmd = _lab_command("LAB_FLAGS=--no-browser --port=8899")
    assert f"--ServerApp.root_dir={ROOT}" in cmd
    assert cmd[-2:] == ["--no-browser", "--port=8899"]
    assert ("--allow-root" in cmd) == (os.getuid() == 0)
    # the notebooks' default out_dir, relative to notebooks/, lands inside the root Lab shows
    assert (ROOT / "notebooks" / "../reports/lab").resolve().is_relative_to(ROOT)


@pytest.mark.slow
def test_make_lab_serves_the_notebooks_and_reports_folders(tmp_path):
    """Starts the server `make lab` starts (as root too) and lists the root it shows."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = _lab_command(f"LAB_FLAGS=--no-browser --ServerApp.ip=127.0.0.1 --ServerApp.port={port} "
                       "--IdentityProvider.token=t0k3n")
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path), JUPYTER_CONFIG_DIR=str(tmp_path / "cfg"))
    (ROOT / "reports" / "lab").mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        listing = None
        for _ in range(120):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/contents/reports?token=t0k3n",
                                            timeout=2) as r:
                    listing = json.load(r)
                break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail(f"jupyter lab exited: {proc.stderr.read().decode()[-2000:]}")
                time.sleep(0.5)
        assert listing is not None, "jupyter lab did not answer"
        assert "lab" in {item["name"] for item in listing["content"]}
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/contents/notebooks?token=t0k3n") as r:
            names = {item["name"] for item in json.load(r)["content"]}
        assert "06_strategy_adjustment.ipynb" in names
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_committed_notebooks_have_no_outputs():
    """What the git filter would commit is what is committed (nbstripout's own stripping, in process)."""
    import copy

    from nbstripout import strip_output

    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        stripped = strip_output(copy.deepcopy(nb), keep_output=False, keep_count=False, keep_id=True)
        assert nbformat.writes(stripped) == nbformat.writes(nb), f"{path.name} has outputs: run `make strip-outputs`"


def test_git_filter_commits_a_notebook_without_its_outputs(tmp_path):
    """The .gitattributes filter, set by `make strip-filter`, strips outputs on `git add` and keeps
    cell ids; the working copy keeps its outputs."""
    repo = tmp_path / "clone"
    repo.mkdir()
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run(git + ["init", "-q"], check=True)
    shutil.copy(ROOT / ".gitattributes", repo / ".gitattributes")
    done = subprocess.run(["make", "-f", str(ROOT / "Makefile"), "-C", str(repo), f"BIN={BIN}", "strip-filter"],
                          capture_output=True, text=True, check=True)
    assert "git filter nbstripout set" in done.stdout
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1", id="keep-me", execution_count=3,
                                                                   metadata={"tags": ["findings"]},
                                                                   outputs=[nbformat.v4.new_output(
                                                                       "execute_result", {"text/plain": "2"},
                                                                       execution_count=3)])])
    nbformat.write(nb, repo / "step.ipynb")
    subprocess.run(git + ["add", "."], check=True)
    subprocess.run(git + ["commit", "-q", "-m", "nb"], check=True)
    committed = nbformat.reads(subprocess.run(git + ["show", "HEAD:step.ipynb"], capture_output=True, text=True,
                                              check=True).stdout, as_version=4)
    cell = committed.cells[0]
    assert cell.outputs == [] and cell.execution_count is None
    assert cell.id == "keep-me" and cell.metadata["tags"] == ["findings"]
    assert nbformat.read(repo / "step.ipynb", as_version=4).cells[0].outputs  # the working copy keeps them
