"""The documentation the tests check: the README and the site's pages (`docs/`, built by
MkDocs), read as one text where a test only asks whether something is said."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def page(name: str) -> str:
    """One page of the site: `docs/NAME`."""
    return (ROOT / "docs" / name).read_text(encoding="utf-8")


def everything() -> str:
    """The README and every page of the site."""
    pages = sorted((ROOT / "docs").rglob("*.md"))
    return "\n".join(p.read_text(encoding="utf-8") for p in [ROOT / "README.md", *pages])
