"""The lock files a deploy and CI install from cover what pyproject.toml asks for, pinned with hashes.

A dependency added to pyproject.toml without `make lock` would be missing from a deploy: this fails first.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def pins(lock: str) -> dict[str, tuple[str, list[str]]]:
    """name -> (version, hashes) of every requirement in a pip-compile lock file."""
    text = (ROOT / lock).read_text()
    found = {}
    for block in re.split(r"\n(?=\S)", text):
        match = re.match(r"([A-Za-z0-9_.\-]+)==(\S+)", block)
        if match:
            found[canonicalize_name(match[1])] = (
                match[2],
                re.findall(r"--hash=sha256:([0-9a-f]{64})", block),
            )
    return found


@pytest.mark.parametrize(
    ("lock", "requirements"),
    [
        ("requirements.lock", PROJECT["dependencies"]),
        ("requirements-test.lock", PROJECT["dependencies"] + PROJECT["optional-dependencies"]["test"]),
    ],
)
def test_every_dependency_is_locked_at_a_version_it_allows_with_hashes(lock, requirements):
    locked = pins(lock)
    for line in requirements:
        requirement = Requirement(line)
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{name} is not in {lock}: run `make lock`"
        version = locked[name][0]
        assert requirement.specifier.contains(version, prereleases=True), (
            f"{lock} pins {name}=={version}, which pyproject.toml's {requirement} does not allow: run `make lock`"
        )
    assert all(hashes for _, hashes in locked.values()), f"{lock}: every pin carries its hashes"


def test_the_test_lock_pins_the_deploy_lock_versions_exactly():
    deploy, test = pins("requirements.lock"), pins("requirements-test.lock")
    assert {name: version for name, (version, _) in deploy.items()} == {
        name: test[name][0] for name in deploy
    }
