"""What every app's API router shares (no app imports): pagination."""

from __future__ import annotations

from ninja import Field, Schema
from ninja.conf import settings as ninja_settings
from ninja.pagination import LimitOffsetPagination

# Far beyond any real list, well inside a 64-bit integer: a larger offset would overflow the database.
MAX_OFFSET = 2**31 - 1


class Pagination(LimitOffsetPagination):
    """`limit` and `offset`, answering `{"items": [...], "count": N}`; offsets are bounded."""

    class Input(Schema):
        limit: int = Field(ninja_settings.PAGINATION_PER_PAGE, ge=1, le=ninja_settings.PAGINATION_MAX_LIMIT)
        offset: int = Field(0, ge=0, le=MAX_OFFSET)
