"""Decisions are found by the catalogue search (issue 16), through knowledge's extension point for kinds of
document that apps above it register: indexed when logged, filtered by unit and date, shown with a link to
the decision's page, in the API, rebuilt and cleaned by `spiral reindex`."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from spiral.knowledge import search, sources
from spiral.knowledge.models import DocKind, SearchDocument
from spiral.organisations.models import Role
from spiral.priorities import services
from spiral.priorities.models import Decision
from tests.assertions import bearer
from tests.conftest import client_for, user_with_role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _log(unit, what, why, decided_on=dt.date(2025, 11, 14), **more):
    return services.log_decision(unit=unit, by=None, what=what, why=why, decided_by="The board",
                                 decided_on=decided_on, **more)  # fmt: skip


@pytest.fixture
def reader(tree):
    return user_with_role(Role.MEMBER, tree["org"])


def test_decisions_are_a_registered_kind_of_the_catalogue_search():
    assert sources.get(DocKind.DECISION) is not None
    assert DocKind.DECISION in search.default_types()


def test_a_decision_is_found_by_its_words_as_soon_as_it_is_logged(tree, reader):
    decision = _log(tree["org"], "Open a discharge lounge", "Patients wait on the ward for their transport home",
                    options="A lounge; more porters; do nothing", review_on=dt.date(2046, 6, 1))  # fmt: skip
    found = search.search(reader, "discharge lounge")
    hit = next(h for h in found if h.type == DocKind.DECISION)
    assert hit.id == decision.pk and hit.title == "Open a discharge lounge"
    assert hit.url == f"/priorities/decisions/{decision.pk}/"
    assert hit.unit == tree["org"]
    assert "decided by The board on 14/11/2025" in hit.label
    assert "<mark>" in str(hit.title_html)
    # Words from why and the options considered find it too.
    assert decision.pk in {h.id for h in search.search(reader, "porters transport", types=[DocKind.DECISION])}


def test_a_decision_whose_review_has_come_says_so_in_its_result(tree, reader):
    _log(tree["org"], "Stop the paper drug chart", "The electronic chart is live",
         review_on=dt.date(2025, 12, 1))  # fmt: skip
    (hit,) = search.search(reader, "paper drug chart", types=[DocKind.DECISION])
    assert "due for review" in hit.label


def test_the_search_filters_decisions_by_unit_date_and_type(tree, reader):
    ours = _log(tree["team"], "Protected mealtimes on the ward", "Patients miss meals during rounds")
    theirs = _log(tree["other_org"], "Protected mealtimes in the community", "Patients miss meals",
                  decided_on=dt.date(2024, 2, 1))  # fmt: skip

    def ids(**filters):
        return {h.id for h in search.search(reader, "protected mealtimes", types=[DocKind.DECISION],
                                            filters=search.Filters(**filters))}  # fmt: skip

    assert ids() == {ours.pk, theirs.pk}
    assert ids(unit=tree["org"]) == {ours.pk}
    assert ids(since=dt.date(2025, 1, 1)) == {ours.pk}
    assert ids(until=dt.date(2024, 12, 31)) == {theirs.pk}
    assert ids(topic="falls") == set()  # decisions have no topics
    # Only what was asked for: a search for projects finds no decision.
    assert not [h for h in search.search(reader, "protected mealtimes", types=[DocKind.PROJECT])]
    # With filters and no words, the newest decisions are listed.
    browsed = search.search_results(
        reader, "", types=[DocKind.DECISION], filters=search.Filters(unit=tree["icb"])
    )
    assert [h.id for h in browsed.hits] == [ours.pk, theirs.pk]


def test_a_person_who_is_not_signed_in_finds_no_decision(tree):
    from django.contrib.auth.models import AnonymousUser

    _log(tree["org"], "Open a discharge lounge", "Patients wait")
    assert search.search(AnonymousUser(), "discharge lounge") == []


def test_the_search_page_links_a_decision_to_its_page_which_shows_it(tree, reader):
    decision = _log(tree["org"], "Open a discharge lounge", "Patients wait on the ward for their transport")
    page = client_for(reader).get("/search/", {"q": "discharge lounge"})
    assert page.status_code == 200
    html = page.content.decode()
    assert (
        f'href="/priorities/decisions/{decision.pk}/"' in html and "Decision · decided by The board" in html
    )
    shown = client_for(reader).get(f"/priorities/decisions/{decision.pk}/")
    assert shown.status_code == 200
    assert "Decision of Riverside Hospitals" in shown.content.decode()
    assert "Patients wait on the ward for their transport" in shown.content.decode()
    assert client_for(reader).get("/priorities/decisions/999999/").status_code == 404


def test_the_api_finds_decisions_with_their_address(tree, reader):
    from django.test import Client

    decision = _log(tree["org"], "Open a discharge lounge", "Patients wait on the ward")
    answer = Client().get("/api/v1/search", {"q": "discharge lounge", "type": "decision"}, **bearer(reader))
    assert answer.status_code == 200, answer.content
    (result,) = json.loads(answer.content)["results"]
    assert result["type"] == "decision" and result["id"] == decision.pk
    assert result["url"] == f"/priorities/decisions/{decision.pk}/"


def test_reindex_puts_decisions_in_and_takes_gone_ones_out(tree):
    kept = _log(tree["org"], "Open a discharge lounge", "Patients wait")
    gone = _log(tree["org"], "Close ward nine", "Staffing")
    SearchDocument.objects.filter(kind=DocKind.DECISION, object_id=kept.pk).delete()  # as after a bulk load
    Decision.objects.filter(pk=gone.pk).delete()
    done = search.reindex()
    assert done.removed >= 1
    indexed = set(SearchDocument.objects.filter(kind=DocKind.DECISION).values_list("object_id", flat=True))
    assert indexed == {kept.pk}
    assert kept.pk in {h.id for h in search.search(UserFactory(), "discharge lounge")}


def test_embedding_skips_documents_whose_object_is_gone_rather_than_trying_again_for_ever(tree):
    decision = _log(tree["org"], "Open a discharge lounge", "Patients wait")
    SearchDocument.objects.filter(kind=DocKind.DECISION).update(embedding=None, text_hash="")
    Decision.objects.filter(pk=decision.pk).delete()  # its document is left behind
    assert search.embed_missing(batch=1) == 0
