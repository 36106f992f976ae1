"""Colab, Kaggle, Binder: each notebook installs what it needs and runs alone.

The end-to-end test builds such a platform here: a fresh venv with torch, torchvision,
matplotlib and ipywidgets but no course_utils (the project venv's packages, minus
course_utils, seen through a .pth line: nothing is reinstalled), one notebook alone in an
empty folder, and this repository offered as a local git URL. No network: pip is told
--no-index, so it can only use what the platform has.
"""
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager

import course_utils as cu
from course_utils.machinery import cloud
from conftest import REPO

from tools import first_cell


# --- the first cell, written from the one address -----------------------------------------

def test_notebooks_and_readme_are_written_from_the_current_address(capsys):
    assert first_cell.main(["--check"]) == 0, capsys.readouterr().out + "Fix: python -m tools.first_cell"


def test_the_address_is_stated_once():
    url = first_cell.repository()
    tracked = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=REPO,
                             capture_output=True, text=True, check=True).stdout.split()
    generated = {"README.md", *(f"{folder}/{p.name}" for folder in ("notebooks", "learner")
                                for p in (REPO / folder).glob("*.ipynb"))}
    stating = [name for name in tracked if (REPO / name).is_file() and name not in generated
               and url.removeprefix("https://") in (REPO / name).read_text(errors="ignore")]
    assert stating == ["pyproject.toml"]


def test_rewriting_twice_changes_nothing_and_follows_a_new_address():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import course_utils as cu\ndevice = cu.setup(seed=0)"),
        nbformat.v4.new_markdown_cell("# T\n\nText.\n\n![alt](../img/lenet_architecture.png)\n\nAfter.")])
    once = first_cell.rewrite(nb, "https://example.org/a/course")
    assert [c.cell_type for c in once.cells] == ["code", "markdown", "code"]
    assert once.cells[1].source == "# T\n\nText.\n\nAfter."
    assert once.cells[2].source == 'cu.course_image("lenet_architecture")'
    first = once.cells[0].source
    assert first.startswith(first_cell.MARK) and "git+https://example.org/a/course" in first
    assert first.endswith("\n\nimport course_utils as cu\ndevice = cu.setup(seed=0)")
    twice = first_cell.rewrite(nbformat.reads(nbformat.writes(once), 4), "https://example.org/a/course")
    assert nbformat.writes(twice) == nbformat.writes(once)
    moved = first_cell.rewrite(twice, "https://example.org/b/fork").cells[0].source
    assert moved.count(first_cell.MARK) == 1 and "b/fork" in moved and "a/course" not in moved


def test_the_install_block_is_silent_where_course_utils_is_installed(capsys):
    python = TransformerManager().transform_cell(first_cell.install_block("https://x.org/c"))
    assert "get_ipython().run_line_magic('pip', 'install -q --no-deps {repo}')" in python
    exec(compile(python, "<first cell>", "exec"), {"get_ipython": None})  # None: never called
    assert capsys.readouterr() == ("", "")


def test_stored_first_cells_start_with_the_block_and_print_nothing():
    for path in sorted((REPO / "notebooks").glob("*.ipynb")):
        first = next(c for c in nbformat.read(path, 4).cells if c.cell_type == "code")
        assert first.source.startswith(first_cell.MARK), path.name
        printed = "".join(o.get("text", "") for o in first.outputs)  # 05 prints its device
        assert "pip" not in printed and "installed" not in printed, path.name


# --- what the block calls: course_utils.machinery.cloud ---------------------------------------------

def test_only_missing_light_requirements_are_installed(monkeypatch):
    assert cloud.missing_requirements() == []  # this venv has them all
    monkeypatch.setattr(cloud, "_installed", lambda name: None)  # a bare platform
    missing = cloud.missing_requirements()
    names = {cloud._name(r) for r in missing}
    assert {"tqdm", "mlxtend", "matplotlib", "ipywidgets"} <= names
    assert not names & {"torch", "torchvision", "numpy", "jupyterlab", "latex2mathml", "pytest"}


def test_install_missing_pins_the_platforms_torch_torchvision_and_numpy(monkeypatch, capsys):
    from importlib.metadata import version

    monkeypatch.setattr(cloud, "missing_requirements", lambda: ["mlxtend>=0.23"])
    calls = []

    def pip(command, **kwargs):
        constraints = Path(command[command.index("--constraint") + 1]).read_text().split()
        calls.append((command, constraints))
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(cloud.subprocess, "run", pip)
    assert cloud.install_missing() == ["mlxtend>=0.23"]
    (command, constraints), = calls
    assert command[:4] == [sys.executable, "-m", "pip", "install"] and command[-1] == "mlxtend>=0.23"
    assert constraints == [f"{name}=={version(name)}" for name in ("torch", "torchvision", "numpy")]
    assert "installed for the course: mlxtend>=0.23" in capsys.readouterr().out


def test_a_failed_install_says_what_to_do(monkeypatch):
    monkeypatch.setattr(cloud, "missing_requirements", lambda: ["tqdm>=4.66"])
    monkeypatch.setattr(cloud.subprocess, "run", lambda command, **kw: subprocess.CompletedProcess(
        command, 1, "", "ERROR: Could not find a version that satisfies tqdm"))
    with pytest.raises(RuntimeError, match="(?s)Could not find.*Kaggle: turn Internet on.*%pip install 'tqdm>=4.66'"):
        cloud.install_missing()


def test_setup_turns_on_colabs_widget_manager(monkeypatch):
    import types
    calls = []
    output = types.SimpleNamespace(enable_custom_widget_manager=lambda: calls.append("on"))
    colab = types.ModuleType("google.colab")
    colab.output = output
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    cu.setup(seed=0)
    assert calls == ["on"]
    monkeypatch.delitem(sys.modules, "google.colab")
    assert cloud.enable_colab_widgets() is False


def test_course_images_come_from_the_package():
    image = cu.course_image("lenet_architecture")
    assert image.png.startswith(b"\x89PNG") and "conv1 5x5 + ReLU 6@28x28" in image.alt
    html = image._repr_html_()
    assert html.startswith('<img src="data:image/png;base64,iVBOR') and 'alt="LeNet&#x27;s' in html
    assert repr(image).startswith("[figure lenet_architecture: LeNet's layers")
    with pytest.raises(ValueError, match=r"'lenet_architecture'\]. Fix"):
        cu.course_image("lenet")
    assert cu.assets.image_folder().samefile(REPO / "img")  # here the checkout's img/ itself
    assert not (REPO / "course_utils" / "img").exists()  # one home for the figures: img/


# --- the foreign platform, end to end -----------------------------------------------------

def make_platform(tmp_path) -> Path:
    """A venv that sees the project venv's packages, except course_utils; returns its python."""
    view = tmp_path / "preinstalled"
    view.mkdir()
    site = Path(sysconfig.get_paths()["purelib"])
    for entry in site.iterdir():
        if not entry.name.startswith(("course_utils", "__editable__")) and entry.suffix != ".pth":
            (view / entry.name).symlink_to(entry)
    venv = tmp_path / "platform"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    own_site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()"
                               "['purelib'])"], capture_output=True, text=True, check=True)
    (Path(own_site.stdout.strip()) / "preinstalled.pth").write_text(f"{view}\n")
    return python


def snapshot_repository(tmp_path) -> Path:
    """This working tree (tracked and new files) as a git repository of one commit."""
    repo = tmp_path / "course-repo"
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=REPO,
                           capture_output=True, text=True, check=True).stdout.split()
    for name in files:
        if (REPO / name).is_file():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, repo / name)
    git = ["git", "-c", "user.name=course", "-c", "user.email=course@localhost"]
    for step in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "snapshot"]):
        subprocess.run(git + step, cwd=repo, check=True)
    return repo


def run_alone(name: str, python: Path, folder: Path) -> nbformat.NotebookNode:
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    kernels = folder.parent / "kernels"
    (kernels / "platform").mkdir(parents=True, exist_ok=True)
    (kernels / "platform" / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "platform", "language": "python"}))
    alone = folder / name
    shutil.copy(REPO / "notebooks" / name, alone)
    nb = nbformat.read(alone, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("print(cu.__file__)"))
    km = KernelManager(kernel_name="platform",
                       kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(kernels)]))
    NotebookClient(nb, km=km, timeout=600, resources={"metadata": {"path": str(folder)}}).execute()
    return nb


@pytest.mark.kernel
def test_notebooks_01_and_02_run_alone_on_a_bare_platform(tmp_path, monkeypatch):
    python = make_platform(tmp_path)
    probe = "import importlib.util as u; print([bool(u.find_spec(m)) for m in ('course_utils', " \
            "'torch', 'torchvision', 'matplotlib', 'ipywidgets')])"
    before = subprocess.run([str(python), "-c", probe], capture_output=True, text=True,
                            cwd=tmp_path, check=True).stdout.strip()
    assert before == "[False, True, True, True, True]"
    repo = snapshot_repository(tmp_path)
    for name in [n for n in os.environ if n.startswith("PIP_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("COURSE_REPO", f"git+file://{repo}")
    monkeypatch.setenv("PIP_NO_INDEX", "1")               # offline: only what the platform has
    monkeypatch.setenv("PIP_NO_BUILD_ISOLATION", "0")     # (pip's spelling of "no isolation")
    monkeypatch.setenv("PIP_DISABLE_PIP_VERSION_CHECK", "1")
    monkeypatch.setenv("PYTHONNOUSERSITE", "1")
    folder = tmp_path / "empty"
    folder.mkdir()
    platform_site = next((tmp_path / "platform" / "lib").glob("python*/site-packages"))

    first = run_alone("01_define_the_network.ipynb", python, folder)  # installs course_utils
    installed = sorted(p.name for p in platform_site.iterdir())
    assert installed == ["course_utils", "course_utils-0.1.0.dist-info", "preinstalled.pth"]
    figure = next(c for c in first.cells if c.source == 'cu.course_image("lenet_architecture")')
    assert figure.outputs[0]["data"]["text/html"].startswith('<img src="data:image/png;base64,')
    assert first.cells[-1].outputs[0]["text"].startswith(str(platform_site / "course_utils"))

    last = run_alone("02_loss_functions.ipynb", python, folder)  # installed now: silent
    setup = next(c for c in last.cells if c.cell_type == "code")
    assert setup.outputs == []    # the install block prints nothing once installed
    errors = [o for c in last.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error" or o.get("name") == "stderr"]
    assert errors == []
    assert sorted(p.name for p in folder.iterdir()) == ["01_define_the_network.ipynb",
                                                       "02_loss_functions.ipynb"]
