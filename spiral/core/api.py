"""What every app's API router shares (no app imports): input types, the JSON body parser, the error
shape and its declaration, pagination.

Bad input is refused here, once, for every endpoint, before a handler or the database sees it:

- **Types for schemas.** `Name`, `Code`, `ShortText`, `Text`, `LongText` are strings with the maximum
  length of their kind from `spiral.core.limits` (refused with `too_long_message`), refusing NUL, other
  control characters and unpaired surrogates; `Id`, `Int32` and `Version` are integers bounded to what the
  column holds (ids are 64-bit, versions and orders 32-bit on PostgreSQL); `Number` is a finite float.
- **The parser** (`JsonParser`): a body must be `application/json` (415 otherwise), UTF-8, valid JSON
  (400), a JSON object (422), with no NUL, unpaired surrogate or non-finite number anywhere (422).
- **Errors** always come as `ErrorOut`: `{"detail": "...", "errors": [{"field": "...", "message": "..."}]}`;
  `declare_errors(api)` documents, on every operation, the error answers it can give.
"""

from __future__ import annotations

import json
import math
import re
from typing import Annotated, Any

from ninja import Field, NinjaAPI, Schema
from ninja.conf import settings as ninja_settings
from ninja.pagination import LimitOffsetPagination
from ninja.parser import Parser
from pydantic import AfterValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from spiral.core import idempotency, limits

# --- integers bounded to their columns ----------------------------------------------------------------

# Ids are BigAutoField (64-bit signed on both databases); versions, orders and counts are
# PositiveIntegerField, a 32-bit `integer` on PostgreSQL: a larger number would overflow the column.
INT64_MAX = 2**63 - 1
INT32_MAX = 2**31 - 1
# Far beyond any real list, well inside a 64-bit integer: a larger offset would overflow the database.
MAX_OFFSET = INT32_MAX

Id = Annotated[int, Field(ge=1, le=INT64_MAX, description="A record's id")]
Int32 = Annotated[int, Field(ge=0, le=INT32_MAX)]
Version = Annotated[int, Field(ge=1, le=INT32_MAX, description="The version you read; a stale one gets 409")]
# A finite number: JSON has no infinity or NaN, and the database and the SPC core cannot use them.
Number = Annotated[float, Field(allow_inf_nan=False)]


# --- clean strings with a maximum length --------------------------------------------------------------

# Control characters (C0 but tab, newline and carriage return in multi-line text; DEL; C1) and
# unpaired surrogates, which PostgreSQL cannot store and no UTF-8 encoder can write.
_SURROGATES = "\ud800-\udfff"
_ONE_LINE_BAD = re.compile(f"[\x00-\x1f\x7f-\x9f{_SURROGATES}]")
_MULTI_LINE_BAD = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_SURROGATES}]")


def _character_refusal(value: str, bad: re.Pattern[str]) -> str | None:
    found = bad.search(value)
    if found is None:
        return None
    char = found.group()
    name = "an unpaired surrogate" if "\ud800" <= char <= "\udfff" else "a control character"
    return (
        f"This holds {name} (U+{ord(char):04X}) at position {found.start() + 1}, which Spiral does not "
        "accept; remove it."
    )


def _clean(limit: int, bad: re.Pattern[str]) -> Any:
    def check(value: str) -> str:
        if len(value) > limit:
            raise PydanticCustomError("too_long", limits.too_long_message(limit, len(value)))
        refusal = _character_refusal(value, bad)
        if refusal:
            raise PydanticCustomError("bad_character", refusal)
        return value

    return check


def clean_str(limit: int, *, multiline: bool = True) -> Any:
    """A string type of at most `limit` characters, without NUL, control characters (tab and newlines
    allowed when `multiline`) or unpaired surrogates. The limit is in the OpenAPI schema as `maxLength`."""
    bad = _MULTI_LINE_BAD if multiline else _ONE_LINE_BAD
    return Annotated[
        str,
        AfterValidator(_clean(limit, bad)),
        WithJsonSchema({"type": "string", "maxLength": limit}),
    ]


def model_str(model: Any, field: str) -> Any:
    """The clean string type of a model field that has its own limit (docs/limits.md, "own"): the same
    maximum as the column, so the API accepts exactly what the forms and imports accept."""
    model_field = model._meta.get_field(field)
    return clean_str(model_field.max_length, multiline=model_field.get_internal_type() == "TextField")


Name = clean_str(limits.NAME, multiline=False)
Code = clean_str(limits.CODE, multiline=False)
ShortText = clean_str(limits.SHORT_TEXT)
Text = clean_str(limits.TEXT)
LongText = clean_str(limits.LONG_TEXT)
# An email address or an id typed to find a person (the longest email address is 254 characters).
PersonRef = clean_str(254, multiline=False)


# --- the JSON body parser -----------------------------------------------------------------------------


class BodyRefused(Exception):
    """A request body refused before validation: answered with `status` in the errors shape."""

    def __init__(self, status: int, detail: str, errors: list[dict[str, str]] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors or []


def _refuse_constant(name: str) -> float:
    raise BodyRefused(422, f"The body holds {name}, which is not a number in JSON; send a finite number.")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BodyRefused(
            422, f"The number {text[:40]} is too large to store; send a finite number (at most about 1e308)."
        )
    return value


def _bad_strings(value: Any, where: str) -> list[dict[str, str]]:
    """Every string (and key) holding NUL or an unpaired surrogate, by its field path."""
    found: list[dict[str, str]] = []
    if isinstance(value, str):
        refusal = _character_refusal(value, _NUL_OR_SURROGATE)
        if refusal:
            found.append({"field": where, "message": refusal})
    elif isinstance(value, dict):
        for key, item in value.items():
            path = f"{where}.{key}" if where else str(key)
            refusal = _character_refusal(key, _NUL_OR_SURROGATE)
            if refusal:
                found.append({"field": where or "body", "message": f"A key: {refusal}"})
            found += _bad_strings(item, path)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += _bad_strings(item, f"{where}[{i}]")
    return found


_NUL_OR_SURROGATE = re.compile(f"[\x00{_SURROGATES}]")


def is_json(content_type: str) -> bool:
    return content_type == "application/json" or (
        content_type.startswith("application/") and content_type.endswith("+json")
    )


class JsonParser(Parser):
    """Parses a JSON body, refusing what would otherwise reach a handler or the database as garbage."""

    def parse_body(self, request: Any) -> dict[str, Any]:
        if not is_json(request.content_type or ""):
            raise BodyRefused(
                415,
                f"The body is sent as {request.content_type or 'no content type'!r}; this endpoint takes "
                "JSON: send it with 'Content-Type: application/json'.",
            )
        charset = (request.content_params or {}).get("charset", "utf-8").lower()
        if charset not in ("utf-8", "utf8"):
            raise BodyRefused(415, f"The body is sent as {charset}; send it as UTF-8 (charset=utf-8).")
        try:
            text = request.body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BodyRefused(
                400, f"The body is not UTF-8 (byte {exc.start + 1}); send JSON encoded as UTF-8."
            ) from None
        try:
            data = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite, parse_int=_int)
        except json.JSONDecodeError as exc:
            raise BodyRefused(
                400, f"The body is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."
            ) from None
        if not isinstance(data, dict):
            kind = {list: "a list", str: "a string", bool: "true or false", type(None): "null"}.get(
                type(data), "a number"
            )
            raise BodyRefused(422, f"The body is {kind}; send a JSON object ({{...}}) with the fields.")
        bad = _bad_strings(data, "")
        if bad:
            raise BodyRefused(422, "; ".join(f"{e['field']}: {e['message']}" for e in bad[:5]), bad[:50])
        return data


def _int(text: str) -> int:
    # Python refuses (and would spend quadratic time on) a huge literal; the schema's bounds then say, by
    # field, what a merely too large number is out of.
    if len(text.lstrip("-")) > 1000:
        raise BodyRefused(422, f"The number {text[:40]}... is too large; no field takes more than 19 digits.")
    return int(text)


# --- the error shape ----------------------------------------------------------------------------------


class ErrorItem(Schema):
    field: str = Field(description="Where: a field name or path (empty when the whole request is wrong)")
    message: str = Field(description="What is wrong and how to fix it")


class ErrorOut(Schema):
    """Every error answer. A 409 for a stale version also carries `current`, the record as it is now."""

    detail: str = Field(description="What is wrong, in one sentence")
    errors: list[ErrorItem]
    current: dict[str, Any] | None = Field(None, description="On 409 for a stale version: the record now")


class Pagination(LimitOffsetPagination):
    """`limit` and `offset`, answering `{"items": [...], "count": N}`; offsets are bounded."""

    class Input(Schema):
        limit: int = Field(ninja_settings.PAGINATION_PER_PAGE, ge=1, le=ninja_settings.PAGINATION_MAX_LIMIT)
        offset: int = Field(0, ge=0, le=MAX_OFFSET)


# --- the OpenAPI schema tells the truth about errors ---------------------------------------------------

ERROR_DESCRIPTIONS = {
    400: "The request cannot be read (not JSON, not UTF-8, a NUL character), or a rule refused it",
    401: "Not signed in: send 'Authorization: Bearer <token>' or a session cookie",
    403: "Signed in, but without the permission this needs",
    404: "Not found, or not visible to you (a code or id in the address or the body)",
    409: "A conflict: a stale version (`current` holds the record now), a duplicate, or a concurrent retry",
    413: "The body or the list in it is too large",
    415: "The body is not sent as 'Content-Type: application/json' (UTF-8)",
    422: "A field is missing, of the wrong type, too long, out of range, or holds a forbidden character",
    429: "Too many requests: wait and try again",
}
WRITE_METHODS = ("post", "put", "patch", "delete")


def error_responses(operation: dict[str, Any], method: str) -> list[int]:
    """The error answers an operation can give, from what it takes: every operation can be refused as
    unreadable (400) or throttled (429); one with a person signed in as 401/403; one that names a record
    (in the path, query or body) as 404; one with input as 422; a write as a conflict (409) or too large
    (413); one with a JSON body as 415."""
    params = operation.get("parameters", [])
    has_body = "requestBody" in operation
    codes = {400, 429}
    if operation.get("security"):
        codes |= {401, 403}
    if params or has_body:
        codes |= {404, 422}
    if method in WRITE_METHODS:
        codes |= {409, 413, 422}
    if has_body:
        codes.add(415)
    return sorted(codes)


IDEMPOTENCY_PARAMETER = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "description": (
        "Makes the write safe to retry (IETF draft 'The Idempotency-Key HTTP Header Field'): the first "
        "successful answer is kept for 24 hours per person, key, method and path; a retry with the same "
        "body gets it again (Idempotent-Replayed: true), a different body 422"
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
}


def document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Declare, on every operation of an OpenAPI schema, the error answers it can give (all `ErrorOut`),
    and the Idempotency-Key header on every write."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    if "ErrorOut" not in components:
        generated = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(generated.pop("$defs", {}))
        components["ErrorOut"] = generated
    for component in components.values():
        _drop_null_defaults(component)
    error_content = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
    for path_item in schema.get("paths", {}).values():
        for method, operation in path_item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for code in error_responses(operation, method):
                if code not in responses and str(code) not in responses:  # ninja's keys are ints
                    responses[code] = {"description": ERROR_DESCRIPTIONS[code], "content": error_content}
            if method in WRITE_METHODS:
                params = operation.setdefault("parameters", [])
                if not any(p.get("name") == IDEMPOTENCY_PARAMETER["name"] for p in params):
                    params.append(dict(IDEMPOTENCY_PARAMETER))
    return schema


def _drop_null_defaults(component: dict[str, Any]) -> None:
    """A PATCH field that may be left out but not sent as null (`name: Name = None`) is generated with
    `"default": null` beside a type that refuses null: drop the default, which would say otherwise."""
    for prop in component.get("properties", {}).values():
        if prop.get("default", 0) is None and "type" in prop and prop["type"] != "null":
            del prop["default"]


class SpiralAPI(NinjaAPI):
    """The NinjaAPI with Spiral's request parsing, write transactions, idempotency keys and documented
    errors (one place, so every router gets them)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("parser", JsonParser())
        super().__init__(**kwargs)
        idempotency.install(self)

    def validation_error_from_error_contexts(self, error_contexts: list[Any]) -> Any:
        # ninja drops each error's input (it may hold personal data); keep only whether it was null, so
        # the refusal can say "cannot be null" instead of pydantic's "Input should be a valid string".
        nulls = [
            err.get("input", "") is None
            for context in error_contexts
            for err in context.pydantic_validation_error.errors(include_url=False)
        ]
        error = super().validation_error_from_error_contexts(error_contexts)
        for err, was_null in zip(error.errors, nulls, strict=True):
            err["null"] = was_null
        return error

    def get_openapi_schema(self, **kwargs: Any) -> Any:
        return document_errors(super().get_openapi_schema(**kwargs))
