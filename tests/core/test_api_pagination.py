"""One pagination for every list of the API (docs/reference/interfaces.md §1): every list operation takes
`limit` and `offset` through `spiral.core.api.Pagination` and answers `{"items": [...], "count": N}`, and
an offset beyond the bound is the same 422, in the same words, everywhere."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

import spiral.api
from spiral.core.api import MAX_OFFSET
from spiral.organisations.models import Role, Unit
from tests.assertions import bearer
from tests.conftest import user_with_role

SCHEMA = spiral.api.api.get_openapi_schema()
SEARCH = "/api/v1/search"  # the one exception (docs/reference/interfaces.md §1): {"results": [...]}, at most `limit`


def _deref(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = SCHEMA["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _answer(op: dict[str, Any]) -> dict[str, Any]:
    ok = op["responses"].get(200, {})
    return _deref(ok.get("content", {}).get("application/json", {}).get("schema", {}))


def _is_list(op: dict[str, Any]) -> bool:
    answer = _answer(op)
    return answer.get("type") == "array" or "items" in answer.get("properties", {})


LISTS = sorted(
    path
    for path, item in SCHEMA["paths"].items()
    if "get" in item and _is_list(item["get"]) and path != SEARCH
)


def test_the_walk_finds_the_lists_of_every_app() -> None:
    assert len(LISTS) >= 20
    assert {"/api/v1/units", "/api/v1/projects", "/api/v1/measures", "/api/v1/feedback/forms"} <= set(LISTS)


@pytest.mark.parametrize("path", LISTS)
def test_every_list_operation_is_paged_by_the_one_pagination(path: str) -> None:
    op = SCHEMA["paths"][path]["get"]
    params = {p["name"]: p for p in op.get("parameters", []) if p["in"] == "query"}
    assert {"limit", "offset"} <= set(params), f"{path} takes no limit and offset: add @paginate(Pagination)"
    assert params["offset"]["schema"]["maximum"] == MAX_OFFSET
    assert set(_answer(op)["properties"]) == {"items", "count"}


@pytest.fixture
def headers(tree: dict[str, Unit]) -> dict[str, str]:
    return bearer(user_with_role(Role.LEADER, tree["org"]))


def _well_formed(param: dict[str, Any], tree: dict[str, Unit]) -> str:
    # The query is read before the handler looks anything up: any well-formed value will do.
    return "1" if _deref(param["schema"]).get("type") == "integer" else tree["org"].code


def _request(path: str, offset: int, tree: dict[str, Unit]) -> tuple[str, dict[str, str]]:
    params = SCHEMA["paths"][path]["get"].get("parameters", [])
    address = path
    for p in params:
        if p["in"] == "path":
            address = address.replace("{" + p["name"] + "}", _well_formed(p, tree))
    query = {p["name"]: _well_formed(p, tree) for p in params if p["in"] == "query" and p.get("required")}
    return address, query | {"offset": str(offset)}


@pytest.mark.parametrize("offset", [2**63, MAX_OFFSET + 1, -1])
def test_an_offset_out_of_bounds_is_the_same_422_on_every_list(tree, headers, offset: int) -> None:
    answers = {}
    for path in LISTS:
        address, query = _request(path, offset, tree)
        response = Client().get(address, query, **headers)
        assert response.status_code == 422, (path, response.status_code, response.content)
        answers[path] = response.json()
    first = answers[LISTS[0]]
    assert first["errors"][0]["field"] == "offset"
    assert {path: body for path, body in answers.items() if body != first} == {}
