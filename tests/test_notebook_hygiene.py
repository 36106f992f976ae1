"""Every stored notebook is clean: run in order, no errors, nothing private or unstable."""
import getpass
import re

import nbformat
import pytest

from conftest import REPO

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
MAX_BYTES = 1_000_000
ABSOLUTE_PATH = re.compile(r"(?<![\w.])(/root|/home/\w+|/Users/\w+|/tmp/|/work/|/private/|"
                           r"[A-Z]:\\\\|site-packages)")
MEMORY_ADDRESS = re.compile(r"\b0x[0-9a-fA-F]{8,}\b")
IGNORE_TAG = "nbval-ignore-output"  # nbval's cell tag; no marker line in any source


def output_texts(cell):
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream":
            yield output.get("text", "")
        for mime, value in output.get("data", {}).items():
            if mime.startswith("text/") or mime.endswith("json"):
                yield value if isinstance(value, str) else str(value)


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def test_the_course_has_its_notebooks():
    names = [p.name for p in NOTEBOOKS]
    assert [n[:2] for n in names] == ["01", "02", "03", "04", "05"], names
    assert all(re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", n) for n in names), names


@pytest.fixture(params=NOTEBOOKS, ids=lambda p: p.name)
def notebook(request):
    path = request.param
    return path, nbformat.read(path, as_version=4)


def test_executed_in_order_without_gaps(notebook):
    path, nb = notebook
    counts = [c.execution_count for c in code_cells(nb) if c.source.strip()]
    assert counts == list(range(1, len(counts) + 1)), f"{path.name}: run `make notebooks`"


def test_no_stored_errors(notebook):
    path, nb = notebook
    for i, cell in enumerate(code_cells(nb)):
        for output in cell.get("outputs", []):
            assert output.get("output_type") != "error", f"{path.name} code cell {i}"
            if output.get("name") == "stderr":
                assert "Traceback" not in output.get("text", ""), f"{path.name} code cell {i}"


def test_no_paths_user_names_or_addresses_in_outputs(notebook):
    path, nb = notebook
    user = getpass.getuser()
    user_pattern = re.compile(rf"(/|\\){re.escape(user)}(/|\\)") if user else None
    for i, cell in enumerate(code_cells(nb)):
        for text in output_texts(cell):
            assert not ABSOLUTE_PATH.search(text), f"{path.name} cell {i}: {text[:200]}"
            assert not MEMORY_ADDRESS.search(text), f"{path.name} cell {i}: {text[:200]}"
            assert not (user_pattern and user_pattern.search(text)), f"{path.name} cell {i}"


def test_kernelspec_size_and_png_images(notebook):
    path, nb = notebook
    assert nb.metadata.kernelspec.name == "python3"
    assert path.stat().st_size <= MAX_BYTES, f"{path.name} is {path.stat().st_size} bytes"
    for cell in code_cells(nb):
        for output in cell.get("outputs", []):
            images = [m for m in output.get("data", {}) if m.startswith("image/")]
            assert set(images) <= {"image/png"}, f"{path.name}: {images} (figures are PNG)"


def test_the_notebook_records_the_pytorch_of_its_outputs(notebook):
    """make notebooks (tools/run_notebooks.py) records it; the website prints it on the page."""
    path, nb = notebook
    version = nb.metadata.get("course", {}).get("torch", "")
    assert re.fullmatch(r"\d+\.\d+(\.\d+)?", version), f"{path.name}: {version!r}. Fix: make notebooks"


def test_first_code_cell_calls_setup(notebook):
    path, nb = notebook
    first = code_cells(nb)[0].source
    assert re.search(r"\b(cu|course_utils)\.setup\(", first), f"{path.name}: {first!r}"


def test_most_outputs_are_compared(notebook):
    """Strict nbval: at most 20% of the code cells with output may be ignored."""
    path, nb = notebook
    with_output = [c for c in code_cells(nb) if c.get("outputs")]
    ignored = [c for c in with_output if IGNORE_TAG in c.metadata.get("tags", [])]
    assert len(ignored) <= 0.2 * len(with_output), f"{path.name}: {len(ignored)} ignored"
    assert not [c.source for c in code_cells(nb) if "NBVAL" in c.source], \
        f"{path.name}: an nbval marker in a source. Fix: nbval's cell tag ({IGNORE_TAG})"
    assert not [c for c in code_cells(nb) if "nbval-skip" in c.metadata.get("tags", [])], path.name


def test_every_figure_drawn_is_shown(notebook):
    """A `cu.plot_...(...)` statement that is not its cell's last line draws a figure no one
    sees (a cell shows only its last value): assign it, `display` it, or end the cell with it."""
    path, nb = notebook
    lost = []
    for k, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        lines = [l for l in cell.source.splitlines() if l.strip() and not l.lstrip().startswith("#")]
        for line in lines[:-1]:
            if re.match(r"\s*cu\.plot_\w+\(", line) and \
                    not re.match(r"\s*cu\.plot_\w+\(.*\)\s*$", lines[-1]):
                lost.append(f"cell {k}: {line.strip()}")
    assert not lost, f"{path.name}: figures drawn but not shown:\n" + "\n".join(lost)


def test_claim_checks_print_nothing(notebook):
    """A `# Check: the ...` cell prints nothing when its sentences hold, and every such cell is
    tagged claim-check (the learner edition drops them by it; CONTRIBUTING explains them)."""
    path, nb = notebook
    untagged = [k for k, c in enumerate(nb.cells) if c.cell_type == "code"
                and c.source.startswith("# Check: ") and "claim-check" not in c.metadata.get("tags", [])]
    assert not untagged, f"{path.name}: claim checks without the claim-check tag, cells {untagged}"
    noisy = [k for k, c in enumerate(nb.cells) if c.cell_type == "code"
             and c.source.startswith("# Check: the ") and c.get("outputs")]
    assert not noisy, f"{path.name}: claim checks with outputs, cells {noisy}"
