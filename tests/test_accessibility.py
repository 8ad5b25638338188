"""Accessibility of the finished pages (WCAG 2.2 AA), as a screen reader and a colour-blind reader meet them.

Tables announce which header belongs to each cell (``scope``) and have an accessible name; headings
never skip a level (a screen reader's heading list is the page's outline); a figure's verdicts are
told apart by marker shape as well as colour (1.4.1 Use of Color: a grey and a green of the same
lightness are one colour in greyscale print and to a reader without colour vision).
"""
from __future__ import annotations

import re

import matplotlib
import matplotlib.pyplot as plt
import pytest
from bs4 import BeautifulSoup

from evalkit.batch.html import finish_page

PAGES = ["index.html", "_portfolio.html", "riverside-literacy.html", "eastside-stem.html", "cafe-societe.html",
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


def _verdict_markers(fig):
    """{legend label: marker} of the figure's legend, and {colour: set of markers} of its plotted points."""
    legend = fig.legends[0] if fig.legends else fig.axes[0].get_legend()
    handles = {t.get_text(): h.get_marker() for t, h in zip(legend.get_texts(), legend.legend_handles)}
    points: dict[str, set] = {}
    for line in fig.axes[0].get_lines():
        if line.get_marker() not in (None, "", "None") and len(line.get_xdata()) == 1:
            points.setdefault(matplotlib.colors.to_hex(line.get_color()), set()).add(line.get_marker())
    return handles, points


def test_change_figure_tells_verdicts_apart_by_marker_shape_not_colour_alone(sample_data):
    import evalkit as ek
    from evalkit.figures import report_style
    from evalkit.plots import plot_change

    data = sample_data
    table = ek.compare_prepost(data, "riverside-literacy")
    with report_style():
        fig = plot_change(table)
    handles, points = _verdict_markers(fig)
    plt.close(fig)
    # riverside's seven outcomes: six improved, one no clear change (the report's own headline, data/sample)
    assert set(handles) == {"Improved", "No clear change"}
    assert len(set(handles.values())) == len(handles), handles   # one shape per verdict in the legend
    assert all(len(m) == 1 for m in points.values()) and len(points) == 2
    shapes = {next(iter(m)) for m in points.values()}
    assert shapes == set(handles.values()), (points, handles)    # the points carry the legend's shapes


def _pdf_alt_texts(pdf: bytes) -> tuple[bytes, list[str]]:
    """The PDF's objects (object streams inflated) and the /Alt texts of its tagged figures."""
    import zlib

    chunks = [pdf]
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            chunks.append(zlib.decompress(match.group(1)))
        except zlib.error:
            pass
    objects = b"".join(chunks)
    alts = [bytes.fromhex(h.decode()).decode("utf-16") for h in re.findall(rb"/Alt\s*<([0-9a-fA-F]+)>", objects)]
    alts += [s.decode("latin-1") for s in re.findall(rb"/Alt\s*\(((?:[^()\\]|\\.)*)\)", objects)]
    return objects, alts


@pytest.mark.integration
def test_pdf_is_tagged_with_headings_tables_and_the_figures_alt_text(sample_run, tmp_path):
    """An untagged PDF reads to a screen reader as one stream of text: no headings, no table cells,
    and every figure silent. Tagged (PDF structure tree), the figures keep the page's alt text. Printed by
    the function a ``--pdf`` run prints with (the shared sample run makes no PDFs)."""
    from evalkit.batch.html import write_pdf

    pdf = write_pdf(sample_run.out_dir / "riverside-literacy.html", tmp_path / "riverside-literacy.pdf")
    objects, alts = _pdf_alt_texts(pdf.read_bytes())
    assert b"/StructTreeRoot" in objects and b"/MarkInfo" in objects
    assert b"/H1" in objects and b"/TH" in objects
    # the attendance figure's description (riverside's attendance counted by hand in test_browser.py)
    assert any(a.startswith("Line chart of attendance by session: attendance fell from 72% at Session 1") for a in alts), alts


def _contrast(color, background="#ffffff") -> float:
    """WCAG 2.2 contrast ratio (relative luminance of sRGB, (L1 + 0.05) / (L2 + 0.05))."""
    def luminance(c):
        rgb = [v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4 for v in matplotlib.colors.to_rgb(c)]
        return 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]
    high, low = sorted((luminance(color), luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_contrast_formula_matches_published_values():
    assert round(_contrast("#777777"), 2) == 4.48   # WebAIM's checker: #777 on white 4.48:1
    assert round(_contrast("#000000"), 1) == 21.0


def _drawn_colors(fig):
    """Colours of every plotted line and marker (fills and edges), white fills of hollow markers left out."""
    colors = set()
    for ax in fig.axes:
        for line in ax.get_lines():
            drawn = []
            if len(line.get_xdata()) > 1 and line.get_linestyle() not in ("None", "none", ""):
                drawn.append(line.get_color())
            if line.get_marker() not in (None, "", "None", "none"):
                drawn += [line.get_markeredgecolor(), line.get_markerfacecolor()]
            colors |= {matplotlib.colors.to_hex(c) for c in drawn if c not in (None, "none")} - {"#ffffff"}
    return colors


def test_health_figures_draw_every_state_and_role_at_3_to_1_and_roles_by_shape(sample_data):
    """WCAG 1.4.11: the marks a reader must tell apart stand out from the white ground at 3:1 or more
    (the timeline's 'done late' #E69F00 was 2.25:1, 'not yet due' #56B4E9 2.31:1, 'dropped' grey 2.85:1);
    the partners' roles differ by marker shape as well as colour (1.4.1)."""
    import evalkit as ek
    from evalkit.health_plots import _COLORS, plot_milestones, plot_partner_survey
    from evalkit.indicators import milestone_status
    from evalkit.partner_survey import partner_survey_summary

    assert {k: round(_contrast(c), 2) for k, c in _COLORS.items() if _contrast(c) < 3} == {}
    data = sample_data
    fig = plot_milestones(milestone_status(data, "riverside-literacy", as_of="2025-09-22"))
    assert {c: round(_contrast(c), 2) for c in _drawn_colors(fig) if _contrast(c) < 3} == {}
    plt.close(fig)
    fig = plot_partner_survey(partner_survey_summary(data, "riverside-literacy"))
    assert {c: round(_contrast(c), 2) for c in _drawn_colors(fig) if _contrast(c) < 3} == {}
    legend = fig.legends[0]
    roles = {t.get_text(): h.get_marker() for t, h in zip(legend.get_texts(), legend.legend_handles)}
    plt.close(fig)
    assert len(roles) >= 2 and len(set(roles.values())) == len(roles), roles


@pytest.mark.browser
def test_back_link_is_named_without_its_decorative_arrow(sample_run):
    """The arrow before 'All reports' is decoration (CSS generated content): a screen reader announced the
    link as 'left arrow All reports'. Its accessible name, as Chromium computes it, is the link's words."""
    from playwright.sync_api import sync_playwright

    from conftest import CHROMIUM

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
        try:
            page = chromium.new_page()
            page.goto((sample_run.out_dir / "riverside-literacy.html").resolve().as_uri())
            nav = page.locator("nav.ek-nav").aria_snapshot()
            arrow = page.evaluate("() => getComputedStyle(document.querySelector('.ek-nav a'), '::before').content")
        finally:
            chromium.close()
    assert 'link "All reports"' in nav and "\u2190" not in nav, nav
    assert "\u2190" in arrow   # still shown


def test_timeline_legend_draws_each_state_as_the_chart_does(sample_data):
    """'done late' and 'overdue' are both orange; the chart tells them apart by line style as well (solid to
    the done date, dotted to the judging date for an overdue one), so the legend must show the same styles."""
    import evalkit as ek
    from evalkit.health_plots import plot_milestones
    from evalkit.indicators import milestone_status

    status = milestone_status(sample_data, "riverside-literacy", as_of="2025-09-22")
    fig = plot_milestones(status)
    legend = fig.legends[0]
    styles = {t.get_text(): h.get_linestyle() for t, h in zip(legend.get_texts(), legend.legend_handles)}
    drawn = {}
    for line in fig.axes[0].get_lines():
        if len(line.get_xdata()) == 2 and line.get_linestyle() != "--":   # due-to-done or due-to-judging lines
            drawn.setdefault(matplotlib.colors.to_hex(line.get_color()), set()).add(line.get_linestyle())
    colours = {t.get_text(): matplotlib.colors.to_hex(h.get_color()) for t, h in zip(legend.get_texts(), legend.legend_handles)}
    plt.close(fig)
    assert {"done late", "overdue"} <= set(styles)   # riverside: 1 done late, 1 overdue at 22 Sep 2025
    for state in ("done late", "overdue"):
        assert drawn[colours[state]] == {styles[state]}, (state, drawn, styles)
    assert styles["done late"] != styles["overdue"]


def test_stacked_answer_shares_are_outlined_where_their_colour_is_faint(sample_data):
    """Rating-scale answers are stacked bars in a diverging palette whose middle (#ffffbf, pale blue) is about
    1.1:1 on white and on its neighbours: each bar segment, and its legend swatch, needs an outline at 3:1
    or more (WCAG 1.4.11) for its extent to be seen."""
    import evalkit as ek
    from evalkit.figures import report_style
    from evalkit.plots import plot_distributions

    with report_style():
        fig = plot_distributions(sample_data, "riverside-literacy")
    faint = []
    for ax in fig.axes:
        legend = ax.get_legend()
        for patch in [*ax.patches, *(legend.get_patches() if legend else [])]:
            if _contrast(patch.get_facecolor()[:3]) < 3 and (
                    patch.get_linewidth() <= 0 or patch.get_edgecolor()[3] == 0
                    or _contrast(patch.get_edgecolor()[:3]) < 3):
                faint.append((ax.get_title()[:30], matplotlib.colors.to_hex(patch.get_facecolor())))
    plt.close(fig)
    assert faint == []


@pytest.mark.integration
def test_index_links_make_sense_out_of_context(sample_run):
    """A screen reader's list of links showed 'Report', 'PDF', 'Tables (Excel)', 'Notebook' twelve times each:
    a link's text names its partnership (visually hidden; the visible words start it, WCAG 2.5.3)."""
    soup = BeautifulSoup((sample_run.out_dir / "index.html").read_text(encoding="utf-8"), "html.parser")
    targets: dict[str, set] = {}
    for a in soup.find_all("a", href=True):
        targets.setdefault(" ".join(a.get_text().split()), set()).add(a["href"])
    assert {text: hrefs for text, hrefs in targets.items() if len(hrefs) > 1} == {}
    card = soup.find(id="p-riverside-literacy")
    names = [" ".join(a.get_text().split()) for a in card.find(class_="files").find_all("a")]
    assert names[:2] == ["Report: Riverside Family Literacy", "Tables (Excel): Riverside Family Literacy"]
    # a run's PDF links are named so too: tests/test_pdf_runs.py (the shared sample run makes no PDFs)
