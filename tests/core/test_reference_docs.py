"""Citations of the reference definitions point at files and sections inside the repository.

The code, the tests and the documents cite `docs/reference/<name>.md §N` (or `§N.M`: item M of section
N). A citation must name a file that exists and sections it has, so that renumbering a section or
renaming a file cannot leave a comment pointing at nothing; and nothing may cite the definitions kept
outside the repository, which a clone does not have.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "docs" / "reference"
SCANNED = ["spiral", "tests", "docs", "bench"]
SUFFIXES = {".py", ".md", ".jinja", ".html", ".txt", ".R", ".json", ".sh", ".js", ".toml", ".cfg"}
SKIPPED_PARTS = {"vendor", "node_modules", "__pycache__", ".venv"}
THIS_FILE = Path(__file__).resolve()

PATH = re.compile(r"docs/reference/([\w-]+\.md)")
SECTION = re.compile(r"§(\d+)(?:\.(\d+))?(?:–(\d+))?")
# A reference file named without its folder: it would be read as the copy outside the repository.
BARE = re.compile(r"(?<![\w/.-])(spc|qi|interfaces|stack)\.md\b")
HEADING = re.compile(r"^#{2,3} (\d+)\. ", re.MULTILINE)
ITEM = re.compile(r"^(\d+)\. ", re.MULTILINE)


def _sources() -> list[Path]:
    files = [ROOT / "README.md"]
    for top in SCANNED:
        for path in (ROOT / top).rglob("*"):
            if (
                path.suffix in SUFFIXES
                and path.is_file()
                and not SKIPPED_PARTS.intersection(path.relative_to(ROOT).parts)
                and path.resolve() != THIS_FILE
            ):
                files.append(path)
    return sorted(files)


SOURCES = _sources()


def _name(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@cache
def _sections(name: str) -> frozenset[str]:
    """The section numbers of a reference file: '3' for a heading '## 3. ...', '9.11' for item 11 of
    a numbered list in section 9."""
    text = (REFERENCE / name).read_text(encoding="utf-8")
    found: set[str] = set()
    headings = list(HEADING.finditer(text))
    for i, heading in enumerate(headings):
        number = heading.group(1)
        found.add(number)
        end = headings[i + 1].start() if i + 1 < len(headings) else len(text)
        found.update(f"{number}.{item.group(1)}" for item in ITEM.finditer(text, heading.end(), end))
    return frozenset(found)


def _citations(path: Path) -> list[tuple[str, str | None]]:
    """(file, section or None) for every citation in `path`.

    A `§` belongs to the latest `docs/reference/` path before it in the same paragraph; in a reference
    file, a `§` with no path before it in its paragraph is a section of that file. Other `§`s (an RFC's,
    a handbook's) are not ours and are left alone.
    """
    text = path.read_text(encoding="utf-8", errors="replace")
    own = path.name if path.parent == REFERENCE else None
    found: list[tuple[str, str | None]] = []
    for paragraph in re.split(r"\n\s*(?:#\s*)?\n", text):
        events = sorted(
            [(m.start(), "path", m) for m in PATH.finditer(paragraph)]
            + [(m.start(), "section", m) for m in SECTION.finditer(paragraph)],
            key=lambda e: e[0],
        )
        owner = own
        for _, kind, match in events:
            if kind == "path":
                owner = match.group(1)
                found.append((owner, None))
            elif owner is not None:
                first, item, last = match.groups()
                if item:
                    found.append((owner, f"{first}.{item}"))
                else:
                    found.extend((owner, str(n)) for n in range(int(first), int(last or first) + 1))
    return found


def test_the_reference_files_exist_and_number_their_sections() -> None:
    names = sorted(p.name for p in REFERENCE.glob("*.md") if p.name != "README.md")
    assert names == ["interfaces.md", "qi.md", "spc.md"]
    for name in names:
        numbers = [int(m.group(1)) for m in HEADING.finditer((REFERENCE / name).read_text(encoding="utf-8"))]
        assert numbers == list(range(1, len(numbers) + 1)), f"{name}: sections numbered {numbers}"


def test_the_code_cites_the_reference_files() -> None:
    cited = {name for path in SOURCES if path.parent != REFERENCE for name, _ in _citations(path)}
    assert {"spc.md", "qi.md", "interfaces.md"} <= cited


def test_every_cited_reference_file_and_section_exists() -> None:
    missing = sorted(
        {
            f"{_name(path)}: docs/reference/{name}" + (f" §{section}" if section else "")
            for path in SOURCES
            for name, section in _citations(path)
            if not (REFERENCE / name).is_file() or (section and section not in _sections(name))
        }
    )
    assert missing == [], f"citations of what docs/reference/ does not have: {missing}"


def test_nothing_cites_the_definitions_outside_the_repository() -> None:
    found = []
    for path in SOURCES:
        text = path.read_text(encoding="utf-8", errors="replace")
        for match in [*re.finditer(r"shared/reference/\S*", text), *BARE.finditer(text)]:
            found.append(f"{_name(path)}, line {text.count(chr(10), 0, match.start()) + 1}: {match.group(0)}")
    assert found == [], (
        f"citations of reference definitions outside the repository (write docs/reference/NAME.md §N): {found}"
    )
