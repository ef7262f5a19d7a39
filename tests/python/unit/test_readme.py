"""The README is a front door: about 10 KB, every page of docs/ one click away,
and no link that leads nowhere."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
README = REPO / "README.md"
MAX_BYTES = 11_000  # "about 10 KB": method, findings and figures go to docs/<subject>.md
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def relative_links(markdown: str) -> list[str]:
    """Targets of the markdown links that are not URLs, in order."""
    return [target for target in LINK.findall(markdown) if "://" not in target]


def test_relative_links_finds_files_not_urls() -> None:
    text = "[a](docs/a.md) [b](https://x.org/b.md) [c](docs/c.md#part) [d](seeds/d.csv)"
    assert relative_links(text) == ["docs/a.md", "docs/c.md", "seeds/d.csv"]


def test_readme_is_a_front_door() -> None:
    size = len(README.read_bytes())
    assert size <= MAX_BYTES, f"README.md is {size} bytes; move detail to docs/<subject>.md"


def test_every_docs_page_is_linked_from_the_readme() -> None:
    linked = set(relative_links(README.read_text()))
    pages = {f"docs/{page.name}" for page in (REPO / "docs").glob("*.md")}
    assert pages <= linked, f"not linked from README.md: {sorted(pages - linked)}"


def test_readme_links_resolve() -> None:
    missing = [link for link in relative_links(README.read_text()) if not (REPO / link).exists()]
    assert not missing, f"README.md links to missing files: {missing}"
