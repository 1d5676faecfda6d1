"""Every NHS.UK macro call in Spiral's templates passes only keys the macro reads.

The NHS.UK macros ignore a key they do not know, silently: `warningCallout({"HTML": ...})` rendered an
empty callout on two pages for months. This reads each template's syntax tree, finds the calls to macros
imported from `nhsuk/components/...`, and checks each dict literal passed to one: its top-level keys
against the `params.<name>` the macro's own template reads, and every nested key against the names any
NHS.UK template reads (so `{"value": {"HTML": ...}}` is caught too). A key differing only in case from
a known one is named as such.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import nhsuk_frontend_jinja
from jinja2 import Environment, nodes

SPIRAL = Path(__file__).resolve().parents[2] / "spiral"
NHSUK = Path(nhsuk_frontend_jinja.__file__).parent / "templates"

# Top-level keys are checked against `params.<name>` in the macro's own folder; nested ones (a summary
# list's rows, a label's text) against every attribute name any NHS.UK template reads.
_ATTR = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[\s*[\"']([A-Za-z_][A-Za-z0-9_]*)[\"']\s*\]")
_PARAMS = re.compile(
    r"params\.(?!get\b)([A-Za-z_][A-Za-z0-9_]*)|params(?:\[|\.get\()\s*[\"']([A-Za-z_][A-Za-z0-9_]*)[\"']"
)


def _names(pattern: re.Pattern[str], text: str) -> set[str]:
    return {a or b for a, b in pattern.findall(text)}


def _macro_params(macro_path: str) -> set[str]:
    """The `params.<name>` read by a component's template (macro.jinja includes template.jinja)."""
    folder = (NHSUK / macro_path).parent
    return set().union(*(_names(_PARAMS, p.read_text()) for p in folder.glob("*.jinja")))


VOCABULARY: set[str] = set().union(*(_names(_ATTR, p.read_text()) for p in NHSUK.rglob("*.jinja")))


def _templates() -> list[Path]:
    return sorted(p for p in SPIRAL.rglob("jinja2/**/*.jinja"))


def _nested_keys(node: nodes.Node) -> Iterator[str]:
    """The keys of the dicts a macro receives as data: dicts, lists of them and either branch of an
    `if`, not a dict used as a lookup table (`{"a": 1}[kind]`, `{...}.get(kind)`)."""
    if isinstance(node, nodes.Dict):
        for pair in node.items:
            if isinstance(pair.key, nodes.Const) and isinstance(pair.key.value, str):
                yield pair.key.value
            if not (isinstance(pair.key, nodes.Const) and pair.key.value == "attributes"):
                yield from _nested_keys(pair.value)  # an element's own HTML attributes are free
    elif isinstance(node, nodes.List | nodes.Tuple):
        for item in node.items:
            yield from _nested_keys(item)
    elif isinstance(node, nodes.CondExpr):
        yield from _nested_keys(node.expr1)
        if node.expr2 is not None:
            yield from _nested_keys(node.expr2)


def _all_keys(tree: nodes.Node) -> Iterator[str]:
    for d in tree.find_all(nodes.Dict):
        for pair in d.items:
            if isinstance(pair.key, nodes.Const) and isinstance(pair.key.value, str):
                yield pair.key.value


def _problems(template: Path, root: Path = SPIRAL) -> list[str]:
    env = Environment(extensions=["jinja2.ext.do"], autoescape=True)  # parsed only, never rendered
    tree = env.parse(template.read_text())
    imported: dict[str, str] = {}  # local name -> macro path
    for imp in tree.find_all(nodes.FromImport):
        if isinstance(imp.template, nodes.Const) and str(imp.template.value).startswith("nhsuk/"):
            for name in imp.names:
                local = name[1] if isinstance(name, tuple) else name
                imported[local] = imp.template.value
    problems = []
    for call in tree.find_all(nodes.Call):
        if not (isinstance(call.node, nodes.Name) and call.node.name in imported) or not call.args:
            continue
        arg = call.args[0]
        if not isinstance(arg, nodes.Dict):
            continue
        known = _macro_params(imported[call.node.name])
        for pair in arg.items:
            key = pair.key.value if isinstance(pair.key, nodes.Const) else None
            if isinstance(key, str) and key not in known:
                problems.append(
                    _describe(template.relative_to(root), call.lineno, call.node.name, key, known)
                )
            for nested in _nested_keys(pair.value):
                if nested not in VOCABULARY:
                    problems.append(
                        _describe(template.relative_to(root), call.lineno, call.node.name, nested, VOCABULARY)
                    )
    # A dict built apart (`{% set rows = [{...}] %}`) and passed later: no key may be a miscased NHS.UK key.
    lower = {k.lower(): k for k in VOCABULARY}
    for key in _all_keys(tree):
        if key not in VOCABULARY and key.lower() in lower:
            problems.append(f"{template.relative_to(root)}: {key!r} should be {lower[key.lower()]!r}")
    return problems


def _describe(name: Path, line: int, macro: str, key: str, known: set[str]) -> str:
    hint = next((k for k in known if k.lower() == key.lower()), None)
    tail = f" (did you mean {hint!r}?)" if hint else ""
    return f"{name}:{line}: {macro}() does not read {key!r}{tail}"


def test_the_scan_finds_templates_and_nhsuk_macro_calls() -> None:
    templates = _templates()
    assert len(templates) > 50
    assert "html" in VOCABULARY and "HTML" not in VOCABULARY
    assert {"heading", "html", "text"} <= _macro_params("nhsuk/components/warning-callout/macro.jinja")


def test_the_scan_catches_a_key_the_macro_does_not_read(tmp_path: Path) -> None:
    bad = tmp_path / "spiral" / "x" / "jinja2" / "bad.jinja"
    bad.parent.mkdir(parents=True)
    bad.write_text(
        '{% from "nhsuk/components/warning-callout/macro.jinja" import warningCallout %}\n'
        '{{ warningCallout({"heading": "H", "HTML": body}) }}\n'
        '{% set rows = [{"key": {"text": "A"}, "value": {"Html": "b"}}] %}\n'
    )
    problems = _problems(bad, root=tmp_path / "spiral")
    assert any("'HTML'" in p and "did you mean 'html'" in p for p in problems)
    assert any("'Html' should be 'html'" in p for p in problems)


def test_every_nhsuk_macro_call_passes_only_keys_the_macro_reads() -> None:
    problems = [p for t in _templates() for p in _problems(t)]
    assert problems == []
