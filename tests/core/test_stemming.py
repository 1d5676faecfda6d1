"""The one stemmer (spiral.core.stemming) stems as SQLite FTS5's porter tokenizer does, so what search
highlights is what the index matched."""

from __future__ import annotations

import sqlite3

import pytest

from spiral.core.stemming import stem

WORDS = [
    "falls",
    "fall",
    "falling",
    "ulcers",
    "pressure",
    "sepsis",
    "prevention",
    "preventing",
    "discharges",
    "discharged",
    "readmissions",
    "nursing",
    "patients",
    "generously",
    "relational",
    "hopeful",
    "happiness",
    "agreed",
    "caring",
    "cared",
    "waiting",
    "waited",
    "times",
    "stabilisation",
    "organisations",
    "communities",
    "studies",
    "ponies",
    "deteriorating",
    "deterioration",
]


def fts5_terms(words: list[str]) -> set[str]:
    db = sqlite3.connect(":memory:")
    try:
        db.execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize = 'porter unicode61 remove_diacritics 2')")
        db.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'row')")
        db.executemany("INSERT INTO t VALUES (?)", [(w,) for w in words])
        return {term for (term,) in db.execute("SELECT term FROM v")}
    finally:
        db.close()


def test_the_stems_are_the_terms_fts5_stores():
    assert {stem(w) for w in WORDS} == fts5_terms(WORDS)


@pytest.mark.parametrize(
    ("a", "b"),
    [("falls", "falling"), ("prevention", "preventing"), ("discharges", "discharged"), ("waiting", "waited")],
)
def test_forms_of_one_word_share_a_stem(a, b):
    assert stem(a) == stem(b)


def test_different_words_keep_different_stems():
    assert stem("ward") != stem("word")
    assert stem("care") != stem("car")
