"""The instrument file: the Sustainability Model as shipped, and clear errors for a broken file."""

from __future__ import annotations

from decimal import Decimal

import pytest

from spiral.assessments import scoring
from spiral.assessments.instrument_file import (
    InstrumentFileError,
    check,
    instrument_files,
    parse_text,
    read_file,
)

SM = next(p for p in instrument_files() if p.name == "nhs-sustainability-model.yaml")


def test_the_sustainability_model_has_ten_factors_in_three_groups_with_levels_a_to_d():
    spec = read_file(SM)
    assert [g.key for g in spec.groups] == ["process", "staff", "organisation"]
    assert len(spec.items) == 10
    assert [len([i for i in spec.items if i.group == g]) for g in ("process", "staff", "organisation")] == [
        4,
        4,
        2,
    ]
    assert all([o.key for o in i.options] == ["a", "b", "c", "d"] for i in spec.items)
    assert all(i.options[-1].score == 0 for i in spec.items)


def test_only_the_maxima_found_in_a_cited_source_are_marked_verified_and_the_model_is_provisional():
    spec = read_file(SM)
    maxima = {i.key: (i.maximum, i.verified) for i in spec.items}
    # Table 5 of the 2021 Parkinson's QI study (Implementation Science Communications, doi 10.1186/s43058-021-00205-x).
    assert {k: m for k, (m, v) in maxima.items() if v} == {
        "benefits": Decimal("8.5"), "credibility": Decimal("9.1"), "adaptability": Decimal("7.0"),
        "monitoring": Decimal("6.5"), "involvement": Decimal("11.4"), "behaviours": Decimal("11.0"),
        "senior_leaders": Decimal("15.0"), "infrastructure": Decimal("9.5"),
    }  # fmt: skip
    assert not maxima["clinical_leaders"][1] and not maxima["fit"][1]
    assert all(not o.verified for i in spec.items for o in i.options if o.key in ("b", "c"))
    assert spec.provisional


def test_the_total_maximum_is_the_sum_of_the_level_a_scores():
    spec = read_file(SM)
    rules = [scoring.ItemRule(i.key, i.group, i.weight, i.maximum) for i in spec.items]
    assert scoring.maxima("sum", rules).total == Decimal("99.5")


GOOD = {
    "slug": "tiny", "version": "1", "name": "Tiny", "source": "a test", "licence": "CC0",
    "applies_to": "project", "scoring": "sum",
    "groups": [{"key": "g", "name": "G"}],
    "items": [{"key": "one", "group": "g", "text": "One", "verified": True,
               "options": [{"key": "a", "text": "A", "score": 2, "verified": True},
                           {"key": "b", "text": "B", "score": 0, "verified": True}]}],
}  # fmt: skip


def test_a_good_file_is_not_provisional_and_its_hash_is_stable():
    assert not check(GOOD).provisional
    assert check(GOOD).content_hash() == check(dict(GOOD)).content_hash()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(applies_to="ward"), "applies_to 'ward' must be one of project, team, unit"),
        (lambda d: d.update(scoring="median"), "scoring 'median' must be one of"),
        (
            lambda d: d["items"][0]["options"][1].update(score="lots"),
            "item 'one', option 'b': score must be a number",
        ),
        (
            lambda d: d["items"][0].update(group="nowhere"),
            "item 'one': group 'nowhere' is not one of the groups",
        ),
        (
            lambda d: d["items"][0]["options"].append({"key": "a", "text": "A", "score": 1}),
            "option 'a' appears twice",
        ),
        (
            lambda d: d["items"][0].update(maximum=3),
            "item 'one': maximum 3 is not the highest option score (2)",
        ),
        (lambda d: d["items"][0]["options"][0].update(score=-1), "must be a number from 0 to 1000"),
        (lambda d: d.pop("licence"), "'licence' is missing"),
        (
            lambda d: d["items"][0].update(options=[{"key": "a", "text": "A", "score": 1}]),
            "at least two options",
        ),
    ],
)
def test_a_broken_file_says_which_item_and_what_is_wrong(change, message):
    import copy

    data = copy.deepcopy(GOOD)
    change(data)
    with pytest.raises(InstrumentFileError) as caught:
        check(data, source="tiny.yaml")
    assert any(message in p for p in caught.value.problems), caught.value.problems


def test_invalid_yaml_names_the_line():
    with pytest.raises(InstrumentFileError, match="is not valid YAML at line"):
        parse_text("slug: x\nname: [unclosed\n", source="bad.yaml")
