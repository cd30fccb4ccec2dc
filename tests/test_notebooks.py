"""Structure of every committed notebook: title, one literal parameters cell, no outputs."""
from __future__ import annotations

import ast

import nbformat
import papermill as pm
import pytest

from userops import report

NOTEBOOKS = report.notebooks()


def _params_cells(nb):
    return [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_structure(path):
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    assert "Question this step answers" in nb.cells[0].source
    params = _params_cells(nb)
    assert len(params) == 1 and nb.cells.index(params[0]) == 1
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, "committed with outputs"
            assert "papermill" not in cell.metadata


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_parameters_are_literals_with_help_and_match_papermill(path):
    nb = nbformat.read(path, as_version=4)
    cell = _params_cells(nb)[0]
    tree = ast.parse(cell.source)
    names = []
    for stmt in tree.body:
        assert isinstance(stmt, ast.AnnAssign), f"not `name: type = literal`: {ast.unparse(stmt)}"
        ast.literal_eval(stmt.value)  # raises on anything but a literal
        names.append(stmt.target.id)
    lines = cell.source.splitlines()
    assert len(lines) == len(names), "one parameter per line"
    for line in lines:
        assert "  # " in line and "=" not in line.split("  # ", 1)[1], line
        assert "|" not in line.split("  # ", 1)[0]
    assert list(pm.inspect_notebook(str(path))) == names
    assert {"data", "as_of", "out_dir"} <= set(names)  # library_path only where the library is read


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_functions_classes_or_hard_coded_dates_outside_parameters(path):
    nb = nbformat.read(path, as_version=4)
    params = _params_cells(nb)[0]
    for cell in nb.cells:
        if cell.cell_type != "code" or cell is params:
            continue
        src = "\n".join(l for l in cell.source.splitlines() if not l.startswith("%"))
        for node in ast.walk(ast.parse(src)):
            assert not isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.Lambda))
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                assert not __import__("re").match(r"\d{4}-\d{2}-\d{2}", node.value)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_steps_read_lines_through_the_engine_never_as_a_pandas_frame(path):
    # issue 12: a step reads the lines with ds.lines() (ibis) and userops.features; the
    # transactions frame (ds.transactions, ds.tables["transactions"]) would hold every line
    nb = nbformat.read(path, as_version=4)
    reads = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        src = "\n".join(l for l in cell.source.splitlines() if not l.startswith("%"))
        for node in ast.walk(ast.parse(src)):
            if isinstance(node, ast.Attribute) and node.attr == "transactions":
                reads.append(ast.unparse(node))
            if isinstance(node, ast.Constant) and node.value == "transactions":
                reads.append(repr(node.value))
    assert reads == []
    assert any("ds.lines()" in cell.source for cell in nb.cells if cell.cell_type == "code")
