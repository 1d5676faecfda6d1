"""The safety documents point at tests that exist, so a renamed test cannot leave a control unproven."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ["docs/clinical-safety.md", "docs/security.md"]
TEST_SOURCES = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "tests").rglob("test_*.py"))


def _cited(doc: str, pattern: str) -> list[str]:
    text = (ROOT / doc).read_text(encoding="utf-8")
    return sorted(set(re.findall(pattern, text)))


@pytest.mark.parametrize("doc", DOCS)
def test_every_test_file_a_safety_document_cites_exists(doc: str) -> None:
    missing = [p for p in _cited(doc, r"`(tests/[\w/]+\.py)") if not (ROOT / p).is_file()]
    assert missing == [], f"{doc} cites test files that do not exist: {missing}"


@pytest.mark.parametrize("doc", DOCS)
def test_every_test_a_safety_document_names_exists(doc: str) -> None:
    missing = [name for name in _cited(doc, r"`(test_\w+)`") if not re.search(rf"def {name}\b", TEST_SOURCES)]
    assert missing == [], f"{doc} names tests that do not exist: {missing}"
