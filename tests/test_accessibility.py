"""Accessibility of the finished pages (WCAG 2.2 AA), as a screen reader and a colour-blind reader meet them.

Tables announce which header belongs to each cell (``scope``) and have an accessible name; headings
never skip a level (a screen reader's heading list is the page's outline); a figure's verdicts are
told apart by marker shape as well as colour (1.4.1 Use of Color: a grey and a green of the same
lightness are one colour in greyscale print and to a reader without colour vision).
"""
from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup

from conftest import ROOT
from evalkit.batch.html import finish_page

PAGES = ["_portfolio.html", "riverside-literacy.html", "eastside-stem.html", "cafe-societe.html",
         "uplands-tutoring.html"]

# a pandas table (index named, so two header rows) under a section heading, and a notebook's folded appendix
# whose h4 follows an h2 directly
PAGE = ('<main class="ek-main"><div class="jp-Cell"><h1 id="T">T</h1><p>sub</p></div>'
        '<h2 id="Outcomes">Outcomes<a class="anchor-link" href="#Outcomes">\u00b6</a></h2>'
        '<table class="dataframe"><thead><tr><th></th><th>Pre</th><th>Post</th></tr>'
        '<tr><th>Measure</th><th></th><th></th></tr></thead>'
        '<tbody><tr><th>Skills</th><td>3.0</td><td>3.4</td></tr></tbody></table>'
        '<details class="ek-appendix"><summary>More</summary><h4>Age group</h4>'
        '<table class="dataframe"><thead><tr><th></th><th>18-24</th></tr></thead>'
        '<tbody><tr><th>Skills</th><td>0.2</td></tr></tbody></table></details></main>')


def _levels(soup):
    return [int(h.name[1]) for h in soup.find_all(re.compile(r"^h[1-6]$"))]


def test_table_headers_have_scope_and_tables_are_named_by_their_heading():
    soup = BeautifulSoup(finish_page(PAGE), "html.parser")
    first, second = soup.find_all("table")
    assert [th.get("scope") for th in first.thead.find_all("th")] == ["col", "col", "col"]
    assert [th.get("scope") for th in first.tbody.find_all("th")] == ["row"]
    # the name is the heading's words: no section number, no pilcrow of the hidden anchor link
    assert first["aria-label"] == "Outcomes"
    assert second["aria-label"] == "Age group"


def test_headings_never_skip_a_level():
    soup = BeautifulSoup(finish_page(PAGE), "html.parser")
    assert _levels(soup) == [1, 2, 3]
    assert soup.find("details").find("h3").get_text() == "Age group"


@pytest.mark.integration
@pytest.mark.parametrize("name", PAGES)
def test_sample_pages_have_named_tables_with_scoped_headers_and_an_unbroken_outline(sample_run, name):
    soup = BeautifulSoup((sample_run.out_dir / name).read_text(encoding="utf-8"), "html.parser")
    assert soup.html.get("lang") == "en" and soup.title.get_text(strip=True)
    levels = _levels(soup)
    assert levels.count(1) == 1 and levels[0] == 1
    assert [(a, b) for a, b in zip(levels, levels[1:]) if b > a + 1] == []
    tables = soup.find("main").find_all("table")
    assert tables
    for table in tables:
        assert table.get("aria-label", "").strip() or table.find("caption"), str(table)[:200]
        unscoped = [th.get_text(strip=True) for th in table.find_all("th") if th.get("scope") not in ("col", "row")]
        assert unscoped == [], (table.get("aria-label"), unscoped)
