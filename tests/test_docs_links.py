"""Every relative link in the README and docs/ resolves: the file exists, and a `#fragment` names a heading of
the page it points to (GitHub's anchors: lower case, punctuation dropped, spaces to hyphens). The README stays
short enough to read in five minutes (issue 28: at most 250 lines)."""

import re

import pytest

from tests.conftest import REPO

PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def _anchors(page):
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
    anchors = set()
    for heading in re.findall(r"^#{1,6} (.+)$", text, flags=re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        anchors.add(slug)
    return anchors


def _links(page):
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
    return [link for link in LINK.findall(text) if not re.match(r"[a-z]+:", link)]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(REPO).as_posix())
def test_relative_links_resolve(page):
    links = _links(page)
    assert page.name != "README.md" or len(links) > 10
    broken = []
    for link in links:
        path, _, fragment = link.partition("#")
        target = (page.parent / path).resolve() if path else page
        if not target.exists():
            broken.append(f"{link}: no such file")
        elif fragment and target.suffix == ".md" and fragment not in _anchors(target):
            broken.append(f"{link}: no heading #{fragment} in {target.relative_to(REPO)}")
    assert not broken, f"{page.relative_to(REPO)}: " + "; ".join(broken)


def test_anchor_rule_matches_github():
    # `## Without a vocabulary: `EelbertWordTokenizer`` is #without-a-vocabulary-eelbertwordtokenizer on GitHub.
    assert "without-a-vocabulary-eelbertwordtokenizer" in _anchors(REPO / "docs" / "design.md")


def test_readme_is_short():
    assert len((REPO / "README.md").read_text().splitlines()) <= 250
