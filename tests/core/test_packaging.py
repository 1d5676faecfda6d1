"""A wheel carries every file Spiral reads at run time, not only its Python modules.

An editable install reads the source tree, so a data file left out of pyproject.toml's package-data goes
unnoticed until `pip install .` (a deploy): the synonyms of search and the demo's A&E dataset once did.
"""

from __future__ import annotations

import shutil
import subprocess
import tomllib
from glob import glob
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def tracked_data_files() -> set[str]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: the tracked files are unknown")
    listed = subprocess.run(
        ["git", "ls-files", "spiral"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return {name for name in listed if not name.endswith(".py")}


def packaged_data_files() -> set[str]:
    """What setuptools' package-data globs select, applied to every package as the "*" key is."""
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert set(patterns) == {"*"}, "this test reads only the '*' key: extend it with the new keys"
    found = set()
    for init in (ROOT / "spiral").rglob("__init__.py"):
        for pattern in patterns["*"]:
            for match in glob(str(init.parent / pattern), recursive=True):
                if Path(match).is_file():
                    found.add(Path(match).relative_to(ROOT).as_posix())
    return found


def test_every_tracked_data_file_under_spiral_goes_into_the_wheel() -> None:
    missing = sorted(tracked_data_files() - packaged_data_files())
    assert not missing, f"not in pyproject.toml's [tool.setuptools.package-data]: {missing}"
