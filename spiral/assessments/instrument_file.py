"""Reading and checking an instrument file (YAML or JSON): pure Python, no database.

An instrument is data (DESIGN.md, "Structured assessments are data"): a corrected or newer version is a
new file (or a new `version` in the same file), loaded with `spiral load_instruments`, never new code.
Every problem is reported at once, each naming where it is ("item 'senior_leaders', option 'b': ...").
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

APPLIES_TO = ("project", "team", "unit")
SCORING = ("sum", "weighted_sum", "group_mean")
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,78}$")
KEY = re.compile(r"^[a-z0-9][a-z0-9_]{0,39}$")
MAX_ITEMS = 200
MAX_OPTIONS = 12


class InstrumentFileError(ValueError):
    """The file cannot be loaded: `problems` says each thing wrong and where."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))


@dataclass(frozen=True)
class OptionSpec:
    key: str
    text: str
    score: Decimal
    verified: bool


@dataclass(frozen=True)
class ItemSpec:
    key: str
    group: str
    text: str
    help: str
    prompts: tuple[str, ...]
    weight: Decimal
    verified: bool  # the item's maximum (its best option's score) is verified from a cited source
    source_note: str
    options: tuple[OptionSpec, ...]

    @property
    def maximum(self) -> Decimal:
        return max(o.score for o in self.options)


@dataclass(frozen=True)
class GroupSpec:
    key: str
    name: str


@dataclass(frozen=True)
class InstrumentSpec:
    slug: str
    version: str
    name: str
    source: str
    licence: str
    applies_to: str
    scoring: str
    description: str
    groups: tuple[GroupSpec, ...]
    items: tuple[ItemSpec, ...]
    interpretation: tuple[dict[str, Any], ...] = field(default=())

    @property
    def provisional(self) -> bool:
        """True when any score in it is not verified from a source: pages say "provisional scoring"."""
        scores = any(not i.verified or any(not o.verified for o in i.options) for i in self.items)
        return scores or any(not band["verified"] for band in self.interpretation)

    def content_hash(self) -> str:
        """A fingerprint of everything that scores or shows: loading the same content again changes nothing."""
        return hashlib.sha256(json.dumps(_plain(self), sort_keys=True).encode()).hexdigest()


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if hasattr(value, "__dataclass_fields__"):
        return {k: _plain(getattr(value, k)) for k in value.__dataclass_fields__}
    return value


def read_file(path: Path) -> InstrumentSpec:
    """Read and check one instrument file (.yaml, .yml or .json)."""
    source = path.name
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InstrumentFileError(
            source, [f"cannot be read as UTF-8 text ({exc.__class__.__name__})"]
        ) from exc
    return parse_text(text, source=source, json_only=path.suffix.lower() == ".json")


def parse_text(text: str, *, source: str = "instrument", json_only: bool = False) -> InstrumentSpec:
    """Parse YAML (or JSON) text and check it."""
    try:
        data = json.loads(text) if json_only else yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise InstrumentFileError(source, [f"is not valid JSON: {exc.msg} at line {exc.lineno}"]) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "cannot be parsed"
        raise InstrumentFileError(source, [f"is not valid YAML{where}: {problem}"]) from exc
    return check(data, source=source)


def _text(d: dict[str, Any], name: str, where: str, problems: list[str], *, required: bool = True,
          limit: int = 2000) -> str:  # fmt: skip
    value = d.get(name)
    if value is None or value == "":
        if required:
            problems.append(f"{where}: '{name}' is missing")
        return ""
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        problems.append(f"{where}: '{name}' must be text")
        return ""
    value = str(value).strip()
    if len(value) > limit:
        problems.append(f"{where}: '{name}' is longer than {limit} characters")
    return value


def _number(value: Any, where: str, problems: list[str]) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        problems.append(f"{where} must be a number, not {value!r}")
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        problems.append(f"{where} must be a number, not {value!r}")
        return None
    if not number.is_finite() or number < 0 or number > 1000:
        problems.append(f"{where} must be a number from 0 to 1000, not {value!r}")
        return None
    if number != number.quantize(Decimal("0.01")):
        problems.append(f"{where} has more than two decimal places ({value!r})")
        return None
    return number


def _flag(d: dict[str, Any], where: str, problems: list[str]) -> bool:
    value = d.get("verified", False)
    if not isinstance(value, bool):
        problems.append(f"{where}: 'verified' must be true or false, not {value!r}")
        return False
    return value


def check(data: Any, *, source: str = "instrument") -> InstrumentSpec:
    """Check parsed data and build the spec; InstrumentFileError lists every problem found."""
    problems: list[str] = []
    if not isinstance(data, dict):
        raise InstrumentFileError(source, ["the file must hold one mapping (name: value lines) at the top"])
    top = "the instrument"
    slug = _text(data, "slug", top, problems, limit=80)
    if slug and not SLUG.match(slug):
        problems.append(
            f"{top}: slug {slug!r} must be lower-case letters, digits and hyphens (2-79 characters)"
        )
    version = _text(data, "version", top, problems, limit=40)
    name = _text(data, "name", top, problems, limit=200)
    src = _text(data, "source", top, problems)
    licence = _text(data, "licence", top, problems, limit=200)
    description = _text(data, "description", top, problems, required=False)
    applies_to = _text(data, "applies_to", top, problems, limit=20)
    if applies_to and applies_to not in APPLIES_TO:
        problems.append(f"{top}: applies_to {applies_to!r} must be one of {', '.join(APPLIES_TO)}")
    scoring = _text(data, "scoring", top, problems, limit=20)
    if scoring and scoring not in SCORING:
        problems.append(f"{top}: scoring {scoring!r} must be one of {', '.join(SCORING)}")

    groups: list[GroupSpec] = []
    raw_groups = data.get("groups")
    if not isinstance(raw_groups, list) or not raw_groups:
        problems.append(f"{top}: 'groups' must be a list of at least one group (key and name)")
        raw_groups = []
    for n, g in enumerate(raw_groups, 1):
        where = f"group {n}"
        if not isinstance(g, dict):
            problems.append(f"{where} must be a mapping with a key and a name")
            continue
        key = _text(g, "key", where, problems, limit=40)
        if key and not KEY.match(key):
            problems.append(f"{where}: key {key!r} must be lower-case letters, digits and underscores")
        if key in {x.key for x in groups}:
            problems.append(f"group {key!r} appears twice")
        groups.append(GroupSpec(key, _text(g, "name", f"group {key or n}", problems, limit=200)))
    group_keys = {g.key for g in groups}

    items: list[ItemSpec] = []
    raw_items = data.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        problems.append(f"{top}: 'items' must be a list of at least one item")
        raw_items = []
    if len(raw_items) > MAX_ITEMS:
        problems.append(f"{top}: at most {MAX_ITEMS} items (this file has {len(raw_items)})")
        raw_items = raw_items[:MAX_ITEMS]
    for n, it in enumerate(raw_items, 1):
        if not isinstance(it, dict):
            problems.append(f"item {n} must be a mapping (key, group, text, options)")
            continue
        key = _text(it, "key", f"item {n}", problems, limit=40)
        where = f"item {key!r}" if key else f"item {n}"
        if key and not KEY.match(key):
            problems.append(f"{where}: key must be lower-case letters, digits and underscores")
        if key and key in {x.key for x in items}:
            problems.append(f"{where} appears twice")
        group = _text(it, "group", where, problems, limit=40)
        if group and group not in group_keys:
            problems.append(
                f"{where}: group {group!r} is not one of the groups ({', '.join(sorted(group_keys))})"
            )
        text = _text(it, "text", where, problems, limit=500)
        help_text = _text(it, "help", where, problems, required=False)
        prompts_raw = it.get("prompts", [])
        if not isinstance(prompts_raw, list) or not all(isinstance(p, str) for p in prompts_raw):
            problems.append(f"{where}: 'prompts' must be a list of sentences")
            prompts_raw = []
        weight = Decimal(1)
        if "weight" in it:
            weight = _number(it["weight"], f"{where}: weight", problems) or Decimal(1)
        if scoring != "weighted_sum" and "weight" in it:
            problems.append(f"{where}: a weight is used only with scoring: weighted_sum")
        options: list[OptionSpec] = []
        raw_options = it.get("options")
        if not isinstance(raw_options, list) or len(raw_options) < 2:
            problems.append(f"{where}: 'options' must be a list of at least two options")
            raw_options = []
        if len(raw_options) > MAX_OPTIONS:
            problems.append(f"{where}: at most {MAX_OPTIONS} options")
        for m, op in enumerate(raw_options[:MAX_OPTIONS], 1):
            if not isinstance(op, dict):
                problems.append(f"{where}, option {m} must be a mapping (key, text, score)")
                continue
            okey = _text(op, "key", f"{where}, option {m}", problems, limit=40)
            owhere = f"{where}, option {okey!r}" if okey else f"{where}, option {m}"
            if okey and not KEY.match(okey):
                problems.append(f"{owhere}: key must be lower-case letters, digits and underscores")
            if okey and okey in {o.key for o in options}:
                problems.append(f"{owhere} appears twice")
            otext = _text(op, "text", owhere, problems, limit=1000)
            if "score" not in op:
                problems.append(f"{owhere}: 'score' is missing")
                continue
            score = _number(op["score"], f"{owhere}: score", problems)
            if score is None:
                continue
            options.append(OptionSpec(okey, otext, score, _flag(op, owhere, problems)))
        item_verified = _flag(it, where, problems)
        if options and "maximum" in it:
            declared = _number(it["maximum"], f"{where}: maximum", problems)
            best = max(o.score for o in options)
            if declared is not None and declared != best:
                problems.append(f"{where}: maximum {declared} is not the highest option score ({best})")
        if len(options) >= 2:
            items.append(ItemSpec(key, group, text, help_text, tuple(s.strip() for s in prompts_raw), weight,
                                  item_verified, _text(it, "source_note", where, problems, required=False),
                                  tuple(options)))  # fmt: skip
    used = {i.group for i in items}
    for g in groups:
        if g.key and g.key not in used and items:
            problems.append(f"group {g.key!r} has no items")

    interpretation: list[dict[str, Any]] = []
    raw_interp = data.get("interpretation", [])
    if not isinstance(raw_interp, list):
        problems.append(f"{top}: 'interpretation' must be a list of thresholds (at_least, text)")
        raw_interp = []
    for n, band in enumerate(raw_interp, 1):
        where = f"interpretation {n}"
        if not isinstance(band, dict) or "at_least" not in band:
            problems.append(f"{where} must have 'at_least' (a total) and 'text'")
            continue
        at_least = _number(band["at_least"], f"{where}: at_least", problems)
        text = _text(band, "text", where, problems, limit=500)
        interpretation.append(
            {"at_least": str(at_least), "text": text, "verified": _flag(band, where, problems)}
        )
    if problems:
        raise InstrumentFileError(source, problems)
    return InstrumentSpec(slug, version, name, src, licence, applies_to, scoring, description, tuple(groups),
                          tuple(items), tuple(interpretation))  # fmt: skip


def instrument_files(directory: Path | None = None) -> list[Path]:
    """The instrument files kept in the repository (spiral/assessments/instruments/)."""
    folder = directory or Path(__file__).resolve().parent / "instruments"
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in (".yaml", ".yml", ".json"))
