"""The OpenAPI schema at /api/v1/openapi.json tells the truth: unique schema names, every error answer
declared (one ErrorOut), every free-text input with its documented maximum length, idempotency keys."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest
from django.test import Client
from ninja import Schema

import spiral.api  # noqa: F401  (imports every router, so every schema class exists)
from spiral.core import limits
from tests.assertions import bearer

# The JSON Schema validator schemathesis itself uses (in the `test` extra).
jsonschema_rs = pytest.importorskip("jsonschema_rs")


@pytest.fixture(scope="module")
def openapi() -> dict[str, Any]:
    return spiral.api.api.get_openapi_schema()


def _operations(openapi: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, op)
        for path, item in openapi["paths"].items()
        for method, op in item.items()
        if isinstance(op, dict)
    ]


def _all_subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_all_subclasses(sub)]
    return found


def test_no_two_api_schemas_share_a_name():
    # ninja names a component after its class: two classes of one name would overwrite each other.
    by_name: dict[str, set[str]] = defaultdict(set)
    for cls in _all_subclasses(Schema):
        if cls.__module__.startswith("spiral.") and cls.__name__ not in ("Input", "Output"):
            by_name[cls.__name__].add(f"{cls.__module__}.{cls.__qualname__}")
    assert {name: where for name, where in by_name.items() if len(where) > 1} == {}


def _resolve(openapi: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    # The validator resolves "#/components/..." against the document it is given.
    return {**schema, "components": openapi["components"]}


@pytest.mark.parametrize("path", ["/me", "/people", "/people/{id}"])
def test_the_answers_of_me_and_people_match_their_documented_schema(openapi, member, path):
    url = path.replace("{id}", str(member.pk))
    response = Client().get(f"/api/v1{url}", **bearer(member))
    assert response.status_code == 200
    documented = openapi["paths"][f"/api/v1{path.replace('{id}', '{person_id}')}"]["get"]["responses"][200]
    schema = documented["content"]["application/json"]["schema"]
    jsonschema_rs.validate(_resolve(openapi, schema), response.json())


def test_every_operation_declares_the_errors_it_can_give_as_error_out(openapi):
    for method, path, op in _operations(openapi):
        codes = {int(c) for c in op["responses"]}
        expected = {400, 429} | ({401, 403} if op.get("security") else set())
        if method in ("post", "put", "patch", "delete"):
            expected |= {409, 413, 422}
        if "requestBody" in op:
            expected |= {404, 415, 422}
        assert expected <= codes, (method, path, sorted(expected - codes))
        for code in codes - {200, 201, 202, 204}:  # success answers; every other is an error shape
            ref = op["responses"][code]["content"]["application/json"]["schema"]["$ref"]
            assert ref.rsplit("/", 1)[1] in ("ErrorOut", "BulkRefusedOut"), (method, path, code)


def test_error_out_is_the_shape_every_error_answer_has(openapi):
    error_out = openapi["components"]["schemas"]["ErrorOut"]
    assert set(error_out["required"]) == {"detail", "errors"}
    body = Client().get("/api/v1/me").json()
    jsonschema_rs.validate(_resolve(openapi, {"$ref": "#/components/schemas/ErrorOut"}), body)


def _strings_without_a_limit(openapi: dict[str, Any], schema: dict[str, Any], where: str) -> list[str]:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        return _strings_without_a_limit(openapi, openapi["components"]["schemas"][name], name)
    found = []
    for key in ("anyOf", "oneOf", "allOf"):
        for i, sub in enumerate(schema.get(key, [])):
            found += _strings_without_a_limit(openapi, sub, f"{where}|{i}")
    is_text = schema.get("type") == "string" and "enum" not in schema and "format" not in schema
    if is_text and not 1 <= schema.get("maxLength", 0) <= limits.LONG_TEXT:
        found.append(where)
    for name, prop in schema.get("properties", {}).items():
        found += _strings_without_a_limit(openapi, prop, f"{where}.{name}")
    for key in ("items", "additionalProperties", "propertyNames"):
        if isinstance(schema.get(key), dict):
            found += _strings_without_a_limit(openapi, schema[key], f"{where}[{key}]")
    return found


def test_every_free_text_input_has_its_documented_maximum_length(openapi):
    missing = []
    for method, path, op in _operations(openapi):
        body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
        if body:
            missing += _strings_without_a_limit(openapi, body, f"{method} {path} body")
        for param in op.get("parameters", []):
            if param["name"] == "Idempotency-Key":
                continue  # not text: a key of at most 255 characters, the header's own rule
            missing += _strings_without_a_limit(
                openapi, param["schema"], f"{method} {path} {param['in']} {param['name']}"
            )
    assert missing == []


def test_every_write_documents_the_idempotency_key_header(openapi):
    for method, path, op in _operations(openapi):
        headers = {p["name"] for p in op.get("parameters", []) if p["in"] == "header"}
        assert ("Idempotency-Key" in headers) == (method in ("post", "put", "patch", "delete")), path


def test_a_patch_field_that_refuses_null_does_not_claim_a_null_default(openapi):
    title = openapi["components"]["schemas"]["ProjectPatch"]["properties"]["title"]
    assert title["type"] == "string" and "default" not in title
