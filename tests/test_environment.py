"""environment.yml (conda, Binder) and pyproject.toml must ask for the same packages."""
import re
import tomllib

import yaml

from conftest import REPO

CONDA_TO_PIP = {"pytorch": "torch", "matplotlib-base": "matplotlib"}
CONDA_ONLY = {"python", "pip"}


def split_requirement(text: str) -> tuple[str, str]:
    name, spec = re.match(r"\s*([A-Za-z0-9_.\-]+)\s*(.*)", text).groups()
    return name.lower().replace("_", "-"), spec.replace(" ", "")


def conda_requirements(env: dict) -> dict[str, str]:
    found = {}
    for dep in env["dependencies"]:
        if isinstance(dep, str):
            name, spec = split_requirement(dep)
            if name not in CONDA_ONLY:
                found[CONDA_TO_PIP.get(name, name)] = spec
    return found


def test_environment_matches_pyproject():
    """The runtime dependencies plus the `lab` extra (Binder opens JupyterLab)."""
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    wanted = project["dependencies"] + project["optional-dependencies"]["lab"]
    pip = dict(split_requirement(r) for r in wanted)
    conda = conda_requirements(env)
    assert conda == pip, (f"only in environment.yml: {set(conda.items()) - set(pip.items())}; "
                          f"only in pyproject.toml: {set(pip.items()) - set(conda.items())}")


def test_environment_is_binder_ready():
    text = (REPO / "environment.yml").read_text()
    assert re.search(r"^\s*-\s*python=3\.11\s*$", text, re.M), "Binder reads python=3.11 literally"
    env = yaml.safe_load(text)
    assert "conda-forge" in env["channels"]
    pip_sections = [d["pip"] for d in env["dependencies"] if isinstance(d, dict)]
    assert pip_sections == [["-e ."]]
    assert "pip" in env["dependencies"]


def test_mismatch_is_caught():
    """The comparison itself must notice a package missing on one side."""
    env = {"dependencies": ["python=3.11", "pytorch>=2.4", "pip", {"pip": ["-e ."]}]}
    assert conda_requirements(env) == {"torch": ">=2.4"}
    assert conda_requirements(env) != {"torch": ">=2.4", "tqdm": ">=4.66"}
