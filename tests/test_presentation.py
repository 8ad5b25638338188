"""Finished pages: figure style and alt text, the report page, the index landing page, PDF and Excel tables."""
from __future__ import annotations

import base64

import json
import re
from xml.etree import ElementTree

import matplotlib
import matplotlib.pyplot as plt
import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from evalkit.errors import InputError
from evalkit.figures import (ReportFigure, describe_attendance, describe_change, describe_forest,
                             report_style)
from evalkit.batch.publish import write_index
from evalkit.batch.html import export_html, finish_page
from evalkit.workbook import write_workbook


# ---- figures ---------------------------------------------------------------------------------------------

def test_report_style_prints_at_200_dpi_with_9pt_type_and_literal_labels():
    label = "Cost in $ (from $5 to $10), 50%_share \\alpha"
    with report_style():
        fig, ax = plt.subplots(figsize=(4, 2))
        ax.plot([1, 2], [1, 2], label="x")
        title = ax.set_title(label)
        ax.set_xlabel("$\\notacommand$ of people")   # mathtext would raise on this when drawn
        ax.legend()
        assert matplotlib.rcParams["savefig.dpi"] >= 200
    ReportFigure(fig, "test").png()  # drawn: no ParseFatalException, the dollar signs are text
    words = [title, ax.xaxis.label, *ax.get_legend().get_texts()]
    assert title.get_text() == label and all(t.get_parse_math() is False for t in words)
    shown = [t for t in fig.findobj(matplotlib.text.Text) if t.get_text()]
    assert min(t.get_fontsize() for t in shown) >= 9
    plt.close(fig)


def test_report_figure_is_one_svg_with_alt_text_and_display_width():
    fig, ax = plt.subplots(figsize=(5, 2))
    ax.plot([0, 1], [0, 1])
    ax.set_title("Title")
    shown = ReportFigure(fig, "Line chart: a line from 0 to 1.")
    assert not plt.fignum_exists(fig.number)  # detached from pyplot: the notebook shows it once
    data, meta = shown._repr_mimebundle_()
    assert set(data) == {"image/svg+xml", "text/plain"}  # one image, vector: sharp at any print resolution
    svg = data["image/svg+xml"]
    root = ElementTree.fromstring(svg.encode("utf-8"))
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert "<image" not in svg and "<text" not in svg  # nothing rasterised; text drawn as outlines (no fonts needed)
    width_pt = float(root.get("width").removesuffix("pt"))
    # 5 in = 360 pt before the tight crop; shown at 96 CSS px per inch (72 pt)
    assert 280 < width_pt <= 360
    assert meta["image/svg+xml"] == {"alt": "Line chart: a line from 0 to 1.", "width": round(width_pt * 96 / 72)}
    assert shown._repr_mimebundle_()[0]["image/svg+xml"] == svg  # no timestamp or random ids: reproducible
    assert shown.png()[:8] == b"\x89PNG\r\n\x1a\n"  # a raster copy on request


def _size_pt(svg: str) -> tuple[float, float]:
    root = ElementTree.fromstring(svg.encode("utf-8"))
    return float(root.get("width").removesuffix("pt")), float(root.get("height").removesuffix("pt"))


def test_report_figure_svg_is_drawn_once_and_cropped_as_matplotlib_crops(monkeypatch):
    """One draw, and the size matplotlib's own ``bbox_inches="tight"`` gives (which draws twice), text
    reaching past the canvas included: the reference is matplotlib's crop, not evalkit's."""
    import io

    with report_style():
        fig, ax = plt.subplots(figsize=(4, 2))
        ax.barh(["a", "b"], [1, 2])
        fig.tight_layout()
        fig.text(0.9, 0.02, "a note reaching past the right edge")  # after the layout, which cannot see it
    shown = ReportFigure(fig, "Bar chart.")
    buffer = io.BytesIO()
    with report_style():
        fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    reference = _size_pt(buffer.getvalue().decode("utf-8"))
    assert reference[0] > 4 * 72  # the note does reach past the 4-inch canvas: the crop has to widen it

    draws = []
    real_draw = type(fig).draw
    monkeypatch.setattr(type(fig), "draw", lambda self, renderer: (draws.append(1), real_draw(self, renderer))[1])
    svg = shown.svg()
    assert len(draws) == 1
    assert _size_pt(svg) == pytest.approx(reference, abs=0.01)
    root = ElementTree.fromstring(svg.encode("utf-8"))
    left, top, width, height = map(float, root.get("viewBox").split())
    assert (width, height) == pytest.approx(reference, abs=0.01) and left + width > 4 * 72  # the note is in view
    first = root[0] if root[0].tag.endswith("rect") else None  # a white background under the whole crop
    assert first is not None and "#ffffff" in first.get("style")
    assert [float(first.get(k)) for k in ("x", "y", "width", "height")] == pytest.approx([left, top, width, height])


def test_layout_memo_lays_a_text_out_once_per_state_and_only_inside_it(monkeypatch):
    from matplotlib.text import Text

    from evalkit.figures import layout_memo

    calls = []
    real = Text._get_layout
    monkeypatch.setattr(Text, "_get_layout", lambda self, renderer: (calls.append(self.get_text()), real(self, renderer))[1])
    fig, ax = plt.subplots(figsize=(3, 2))
    title = ax.set_title("A title")
    renderer = fig.canvas.get_renderer()
    with layout_memo():
        first = title.get_window_extent(renderer).bounds
        assert [title.get_window_extent(renderer).bounds for _ in range(3)] == [first] * 3
        assert calls == ["A title"]                       # laid out once, asked four times
        title.set_text("A longer title")                  # a new state: laid out again
        assert title.get_window_extent(renderer).width > first[2]
        assert calls == ["A title", "A longer title"]
    title.set_text("A title")
    for _ in range(2):
        title.get_window_extent(renderer)
    assert calls[2:] == ["A title", "A title"]            # outside: matplotlib's own, each time
    assert Text._get_layout.__name__ == "<lambda>"        # the method in force before is restored
    plt.close(fig)


def _busy_figure():
    """Several panels, dates, rotated and wrapped text, a legend laid out by constrained layout."""
    from evalkit.figures import legend_below

    with report_style():
        fig, axes = plt.subplots(2, 2, figsize=(7, 4))
        days = pd.date_range("2025-01-06", periods=6, freq="W")
        for i, ax in enumerate(axes.ravel()):
            ax.plot(days, [i, 3, 1, 4, 1, 5], marker="o", label=f"series {i}")
            ax.set_title(f"Panel {i}: a title long enough to matter")
            ax.set_ylabel("% of participants")
            ax.tick_params(axis="x", labelrotation=30)
        axes[1, 1].text(0.5, 0.5, "a wrapped note " * 6, wrap=True, transform=axes[1, 1].transAxes)
        legend_below(fig, axes[0, 0].get_lines())
    return fig


def test_report_figure_svg_is_the_same_with_or_without_the_layout_memo(monkeypatch):
    import contextlib

    import evalkit.figures as figures
    from matplotlib.axis import Axis

    memoised = ReportFigure(_busy_figure(), "Line charts.").svg()
    counted = []
    real = Axis._update_ticks
    monkeypatch.setattr(Axis, "_update_ticks", lambda self: (counted.append(1), real(self))[1])
    figures_memo = ReportFigure(_busy_figure(), "Line charts.")
    figures_memo.svg()
    with_memo = len(counted)
    monkeypatch.setattr(figures, "layout_memo", contextlib.nullcontext)
    counted.clear()
    plain = ReportFigure(_busy_figure(), "Line charts.").svg()
    assert len(counted) > 2 * with_memo    # the memo did spare most tick updates...
    assert plain == memoised               # ...and the figure is the same, byte for byte


def test_alt_text_of_the_change_figure_lists_each_measure_from_its_data():
    table = pd.DataFrame({
        "label": ["Skills (1-5)", "Knowledge (0-20)", "Tiny group"],
        "mean_change": [0.5, -1.0, 3.0], "ci_low": [0.25, -2.0, 1.0], "ci_high": [0.75, 0.2, 5.0],
        "scale_min": [1.0, 0.0, 1.0], "scale_max": [5.0, 20.0, 5.0],
        "direction": ["improved", "no clear change", "improved"], "suppressed": [False, False, True]})
    alt = describe_change(table)
    # by hand: 0.5 / (5 - 1) = 12.5% (rounds half to even: +12%), 0.25/4 = 6.25%, 0.75/4 = 18.75%;
    # -1 / 20 = -5%, -2/20 = -10%, 0.2/20 = 1%. The suppressed measure is neither drawn nor described.
    assert "Skills (1-5) +12% (95% CI +6% to +19%), improved" in alt
    assert "Knowledge (0-20) \u22125% (95% CI \u221210% to +1%), no clear change" in alt
    assert alt.index("Skills") < alt.index("Knowledge")  # largest change first
    assert "Tiny group" not in alt and "1 measure not shown" in alt


def test_alt_text_of_attendance_says_how_it_moved():
    s = pd.DataFrame({"session": ["W1", "W2", "W3"], "rate": [0.5, None, 0.51],
                      "date": pd.to_datetime(["2025-01-06", "2025-01-13", "2025-01-20"])})
    alt = describe_attendance(s)
    assert alt.startswith("Line chart of attendance by session: attendance held steady between 50% at W1 (6 Jan 2025)")
    assert alt.endswith("1 session not shown: too few attenders.")


def test_the_attendance_figure_says_how_many_sessions_it_withheld():
    # Issue 7: a session with fewer than k attenders is not a point on the chart, and the chart says so.
    from evalkit.plots import plot_attendance

    s = pd.DataFrame({"session": ["W1", "W2", "W3", "W4"], "rate": [0.5, None, 0.51, None],
                      "n_attended": [12, None, 13, None],
                      "date": pd.to_datetime(["2025-01-06", "2025-01-13", "2025-01-20", "2025-01-27"])})
    fig = plot_attendance(s, min_group_size=10)
    texts = [t.get_text() for t in fig.texts] + [t.get_text() for ax in fig.axes for t in ax.texts]
    assert "2 sessions not shown: fewer than 10 people each." in texts
    assert len(fig.axes[0].lines[0].get_xdata()) == 2


def test_alt_text_of_the_forest_plot_names_range_and_pooled_estimate():
    c = pd.DataFrame({"measure": ["k"] * 3, "name": ["A", "B", "C"], "mean_change": [0.5, 1.5, None],
                      "ci_low": [0.0, 1.0, None], "ci_high": [1.0, 2.0, None], "suppressed": [False, False, True]})
    row = pd.Series({"measure": "k", "label": "Knowledge", "estimate": 1.0, "ci_low": 0.3, "ci_high": 1.7,
                     "pi_low": None, "pi_high": None})
    assert describe_forest(c, row) == ("Forest plot of Knowledge: mean change in 2 partnerships, from 0.50 (A) to "
                                       "1.50 (B); improved: B; no clear change: A; pooled random-effects estimate 1.00 "
                                       "(95% CI 0.30 to 1.70).")


# ---- the report page -------------------------------------------------------------------------------------

PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="


def _notebook():
    table = pd.DataFrame({"Change": ["0.40", "< 0.001"], "Effect": ["0.5", "moderate"],
                          "p": ["0.01", "0.2"], "n": ["45", "fewer than 10"]},
                         index=pd.Index(["Skills", "Knowledge"], name="Measure"))
    return new_notebook(cells=[
        new_code_cell("title", outputs=[new_output("display_data", data={"text/markdown": "# My <Report>\n\n*sub*"})]),
        new_markdown_cell("## Summary"),
        new_markdown_cell("## Outcomes"),
        new_code_cell("t", outputs=[new_output("execute_result", data={"text/html": table.to_html()},
                                               execution_count=1)]),
        new_code_cell("fig", outputs=[new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure>"},
                                                 metadata={"image/png": {"alt": 'Bar chart: "a" & <b>', "width": 300}})]),
        new_markdown_cell("## Summary"),
    ])


def test_report_page_numbers_sections_lists_them_and_describes_figures():
    page = export_html(_notebook(), title="t", links=[("index.html", "All <reports>")])
    assert '<a href="index.html">All &lt;reports&gt;</a>' in page
    from bs4 import BeautifulSoup

    (img,) = BeautifulSoup(page, "html.parser").find_all("img")
    assert img["alt"] == 'Bar chart: "a" & <b>' and img["width"] == "300"   # escaped in the page, intact when read
    assert "No description has been provided" not in page
    toc = re.search(r'<nav aria-label="Contents" class="ek-toc[^"]*">(.*?)</nav>', page, re.S).group(1)
    links = re.findall(r'<a href="#([^"]+)"><span class="ek-secno">(\d)</span>([^<]+)</a>', toc)
    assert links == [("Summary", "1", "Summary"), ("Outcomes", "2", "Outcomes"), ("Summary-2", "3", "Summary")]
    assert 'id="Summary-2"' in page  # a repeated heading gets its own anchor
    assert page.index("ek-title") < page.index("ek-toc") < page.index('id="Summary"')  # contents after the title block
    assert "<script" not in page and "http" not in re.sub(r'xmlns="[^"]+"', "", page).split("<main")[1]


def test_table_cells_carry_their_column_so_narrow_screens_can_stack_them():
    page = export_html(_notebook(), title="t")
    assert finish_page(page) == page  # finishing twice changes nothing
    cells = dict(re.findall(r'<td class="[^"]*" data-label="([^"]+)">([^<]*)</td>', page))
    assert {"Change", "Effect", "p", "n"} <= set(cells)
    assert re.search(r'<th[^>]*>Measure</th>', page)          # the index name joins the header row
    assert "<td" in page and "<0.001" not in page and "<\u00a0" not in page.replace("&lt;\u00a00.001", "")
    assert "&lt;\u00a00.001" in page                          # "< 0.001" never splits across lines
    assert re.search(r'class="dataframe ek-stack[ "]', page)  # 5 columns with the index: stacks on a phone


# ---- index landing page ------------------------------------------------------------------------------------

def _manifest():
    return {"finished": "2026-01-05T14:48:55+00:00", "evalkit_version": "9.9",
            "portfolio": {"status": "ok", "files": {"html": "_portfolio.html"}},
            "partnerships": {
                "p01": {"name": "Alpha <Reading>", "partner_type": "nonprofit", "status": "ok",
                        "files": {"html": "p01.html", "pdf": "p01.pdf", "xlsx": "p01.xlsx", "notebook": "p01.ipynb"},
                        "headline": {"headline": "Reading improved; <b>writing</b> did not change.",
                                     "targets_met": 2, "targets_total": 3, "flags": ["high attrition", "small n"]}},
                "p02": {"name": "Beta", "status": "failed", "files": {"previous_html": "p02.html"},
                        "error": {"summary": "ValueError: boom (cell 4)"}},
                "p03": {"name": "Gamma", "status": "ok", "files": {"html": "p03.html"}},
            }}


def test_index_is_a_landing_page_with_headlines_targets_and_flags(tmp_path):
    page = write_index(tmp_path, _manifest()).read_text()
    card = page[page.index('id="p-p01"'):page.index('id="p-p02"')]
    assert "Alpha &lt;Reading&gt;" in card and "&lt;b&gt;writing&lt;/b&gt;" in card
    assert "<strong>2 of 3</strong> targets met" in card
    assert re.findall(r'<li class="flag">([^<]+)</li>', card) == ["high attrition", "small n"]
    # a file link's text names its partnership for a screen reader (visually hidden), tests/test_accessibility.py
    assert [h for h, _ in re.findall(r'<a href="([^"]+)">([^<]+)(?:<span class="vh">[^<]*</span>)?</a>', card)] == [
        "p01.html", "p01.html", "p01.pdf", "p01.xlsx", "p01.ipynb"]
    failed = page[page.index('id="p-p02"'):page.index('id="p-p03"')]
    assert "failed render" in failed and "ValueError: boom (cell 4)" in failed
    assert '<a href="p02.html">previous report<span class="vh">: Beta</span></a>' in failed
    assert '<a href="_portfolio.html">Portfolio summary</a>' in page
    assert "5 January 2026, 14:48 UTC" in page


def test_index_gives_the_run_time_in_utc_as_the_reports_do(tmp_path):
    """The manifest records the run's local time with its offset; the index showed '5 January 2026, 16:48
    UTC+02:00' while every report on it says when it was made in UTC."""
    page = write_index(tmp_path, {**_manifest(), "finished": "2026-01-05T16:48:55+02:00"}).read_text()
    assert "5 January 2026, 14:48 UTC" in page and "UTC+02:00" not in page


def test_index_degrades_gracefully_without_headlines(tmp_path):
    page = write_index(tmp_path, _manifest()).read_text()
    gamma = page[page.index('id="p-p03"'):]
    gamma = gamma[:gamma.index("</li>")]   # its card (the flags' key follows the cards)
    assert "See the report for results." in gamma and "targets met" not in gamma and 'class="flag"' not in gamma


# ---- tables for analysts ------------------------------------------------------------------------------------

def test_workbook_has_one_sheet_per_table_and_refuses_bad_names(tmp_path):
    a = pd.DataFrame({"Change": ["0.40"]}, index=pd.Index(["Skills"], name="Measure"))
    b = pd.DataFrame({"n": ["fewer than 10"]}, index=pd.MultiIndex.from_tuples([("Skills", "women")],
                                                                             names=["Measure", "Group"]))
    path = write_workbook(tmp_path / "p.xlsx", {"Outcomes": a, "By gender - change": b})
    sheets = pd.read_excel(path, sheet_name=None)
    assert list(sheets) == ["Outcomes", "By gender - change"]
    assert sheets["By gender - change"].to_dict("records") == [{"Measure": "Skills", "Group": "women",
                                                                "n": "fewer than 10"}]
    assert [p.name for p in tmp_path.iterdir()] == ["p.xlsx"]  # no temporary left
    with pytest.raises(InputError, match="not valid in Excel"):
        write_workbook(tmp_path / "q.xlsx", {"a/b": a})


# ---- the sample run: Excel beside each report (PDFs: tests/test_pdf_runs.py) -------------------------------

def test_sample_run_writes_excel_and_records_it(sample_run):
    out = sample_run.out_dir
    manifest = json.loads((out / "manifest.json").read_text())
    files = manifest["partnerships"]["riverside-literacy"]["files"]
    assert files["xlsx"] == "riverside-literacy.xlsx" and "pdf" not in files and not list(out.glob("*.pdf"))
    sheets = pd.read_excel(out / files["xlsx"], sheet_name=None)
    assert list(sheets)[:3] == ["About", "Outcomes", "Targets"] and any(s.startswith("By ") for s in sheets)
    ids = set(pd.read_csv(sample_run_data("participants.csv"))["participant_id"].astype(str))
    cells = {str(v) for s in sheets.values() for v in s.to_numpy().ravel()}
    assert not (ids & cells)  # tables describe groups: no participant id anywhere


def sample_run_data(name):
    from conftest import ROOT

    return ROOT / "data" / "sample" / name


def _print(filename=None, string=None):
    """The page as WeasyPrint prints it, in the same fonts on every machine.

    The reports ask for the system's sans-serif ("Helvetica Neue", Arial, ..., "DejaVu Sans"): where Arial's metric
    twin Liberation Sans is installed (Debian pulls it in with chromium, as CI does) riverside prints on 14 letter
    pages, on a machine with DejaVu Sans alone on 15. So a page count measured with whatever fonts the machine has
    passes or fails by what else is installed. Here every text is set in the DejaVu Sans and DejaVu Sans Mono that
    matplotlib ships (always in the environment): the widest of the fonts the reports name, so a layout that fits
    here fits with any of them.
    """
    from pathlib import Path

    import weasyprint

    fonts = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    faces = [("EkSans", "DejaVuSans", ""), ("EkSans", "DejaVuSans-Bold", "font-weight:bold;"),
             ("EkSans", "DejaVuSans-Oblique", "font-style:italic;"),
             ("EkSans", "DejaVuSans-BoldOblique", "font-weight:bold;font-style:italic;"),
             ("EkMono", "DejaVuSansMono", ""), ("EkMono", "DejaVuSansMono-Bold", "font-weight:bold;")]
    css = "".join(f'@font-face{{font-family:"{family}";src:url("{(fonts / (name + ".ttf")).as_uri()}");{style}}}'
                  for family, name, style in faces)
    css += '*{font-family:"EkSans" !important}code,pre,kbd,samp,.error{font-family:"EkMono" !important}'
    return weasyprint.HTML(filename=filename, string=string, media_type="print").render(
        stylesheets=[weasyprint.CSS(string=css)])


def _laid_out(document):
    """(page number, box) of every box WeasyPrint laid out, page by page (it has no public API for them)."""
    def walk(box):
        yield box
        for child in getattr(box, "children", None) or []:
            yield from walk(child)

    for n, page in enumerate(document.pages):
        for box in walk(page._page_box):
            yield n, box


def _filled(page) -> float:
    """How far down its content area a printed page is filled: the lowest text or image over the area's height."""
    from weasyprint.formatting_structure import boxes

    def walk(box):
        if isinstance(box, boxes.MarginBox):   # the running footer
            return
        yield box
        for child in getattr(box, "children", None) or []:
            yield from walk(child)

    page_box = page._page_box
    ends = [b.position_y + b.height for b in walk(page_box) if isinstance(b, (boxes.TextBox, boxes.ReplacedBox))]
    return (max(ends, default=page_box.content_box_y()) - page_box.content_box_y()) / page_box.height


def _printed_type_sizes(document) -> list[tuple[str, float]]:
    """(alt text, printed size of the figure's 9-pt type) of every figure of a WeasyPrint document: every figure is
    drawn with type of 9 pt or more (test_no_text_in_a_sample_report_figure_is_smaller_than_9_points) at a width its
    <img> states in CSS pixels; its printed width over that width scales the type."""
    from weasyprint.formatting_structure import boxes   # the laid-out boxes: WeasyPrint has no public API for them

    def walk(box):
        yield box
        for child in getattr(box, "children", None) or []:
            yield from walk(child)

    return [(b.element.get("alt", "")[:50], 9 * b.width / float(b.element.get("width")))
            for page in document.pages for b in walk(page._page_box)
            if isinstance(b, boxes.ReplacedBox) and b.element.get("width")]


def test_riverside_prints_on_at_most_15_letter_pages_with_the_title_on_page_one(sample_run):
    html = sample_run.out_dir / "riverside-literacy.html"
    document = _print(filename=str(html))
    assert len(document.pages) <= 15   # in DejaVu Sans; 14 in Arial (Liberation Sans)
    label, (page, _, _), _, _ = document.make_bookmark_tree()[0]   # (label, (page, x, y), children, state)
    assert label == "Riverside Family Literacy" and page == 0
    if 'id="at-a-glance"' in html.read_text(encoding="utf-8"):  # the card, once the report has one, is on page 1
        assert "at-a-glance" in document.pages[0].anchors
    # Trial 11 (F6): print capped figures at 3 in high and 70% of the text width, so their 9-pt type printed at
    # 3.5-6 pt; they now print at their drawn size, shrunk only to the text width
    printed = _printed_type_sizes(document)
    assert len(printed) >= 5
    small = [(alt, round(pt, 1)) for alt, pt in printed if pt < 8]
    assert small == [], f"figures whose 9-pt type prints smaller than 8 pt: {small}"
    # Page 3 of 11 of the 12 sample reports was 44% filled: the outcome distributions, one figure of three rows of
    # panels (7.8 in), did not fit under the outcomes table and left the rest of its page blank. Drawn a row at a
    # time, each row prints at most a third of a page high, so the table's page is left at most that blank (in
    # Arial the first row fits under the table; in DejaVu Sans, wider, the table ends lower and the row goes on over)
    table_page, rows = None, []
    for n, box in _laid_out(document):
        element = getattr(box, "element", None)
        if element is not None and element.tag == "table" and element.get("aria-label", "").startswith("Outcomes"):
            table_page = n if table_page is None else table_page
        if element is not None and element.tag == "img" and element.get("alt", "").startswith("Pre and post answers"):
            rows.append(box.height)
    page_box = document.pages[table_page]._page_box
    assert len(rows) >= 2 and max(rows) <= page_box.height / 3, (rows, page_box.height)
    assert _filled(document.pages[table_page]) >= 2 / 3
    # trial 13 (F11): every table printed at 7 pt, the Data files table's hashes at 6.2 pt, below the 8-pt floor the
    # figures' type is held to (and the page footer's size)
    from weasyprint.formatting_structure import boxes

    table_type = {round(box.style["font_size"] * 0.75, 1) for _, box in _laid_out(document)
                  if isinstance(box, boxes.TextBox) and box.element_tag in ("td", "th", "code") and box.text.strip()}
    assert table_type and min(table_type) >= 8, sorted(table_type)


def test_the_portfolios_forest_plots_print_two_to_a_page(sample_run):
    # The printed portfolio gave each of its three forest plots (12 partnerships) a page of its own, half of it
    # blank (pages 2 and 3 were 54% filled): drawn 0.32 in a partnership, two did not fit on one page.
    document = _print(filename=str(sample_run.out_dir / "_portfolio.html"))
    forests = [n for n, box in _laid_out(document) if getattr(box, "element", None) is not None
               and box.element.tag == "img" and box.element.get("alt", "").startswith("Forest plot")]
    assert len(forests) == 3
    assert len(set(forests)) == 2, forests
    # trial 13 (F8): the skills forest's eight x tick labels, -0.75 to 1.00, ran together ("-0.75-0.50-0.25") in a
    # 2.6 in wide axis; matplotlib writes each text of an SVG as a comment before its outlines
    page = (sample_run.out_dir / "_portfolio.html").read_text(encoding="utf-8")
    for svg in re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', page):
        svg = base64.b64decode(svg).decode("utf-8")
        if "Pooled (random effects)" in svg:
            ticks = [t for t in re.findall(r"<!-- (.{1,8}?) -->", svg) if re.fullmatch(r"[\u2212-]?\d+(\.\d+)?", t)]
            assert 3 <= len(ticks) <= 7, ticks


def test_pdf_printing_fetches_nothing_but_inline_data():
    import weasyprint

    from evalkit.batch.html import _offline_fetcher

    fetcher = _offline_fetcher(weasyprint)
    fetch = fetcher.fetch if hasattr(fetcher, "fetch") else fetcher
    for url in ("http://127.0.0.1:9/x.png", "file:///etc/hostname"):
        with pytest.raises(Exception):
            fetch(url)
    response = fetch("data:text/plain;base64,aGk=")
    assert (response.read() if hasattr(response, "read") else response["string"]) == b"hi"


def test_asking_for_pdfs_without_weasyprint_is_an_input_error_before_anything_runs(tmp_path, monkeypatch):
    import sys

    from evalkit.batch import run_batch

    monkeypatch.setitem(sys.modules, "weasyprint", None)  # import weasyprint now raises ImportError
    with pytest.raises(InputError, match="evalkit\\[pdf\\]"):
        run_batch(tmp_path / "no-data", tmp_path / "out", pdf=True, workers=1, progress=False)
    assert not (tmp_path / "out").exists()


def test_no_table_cell_of_a_published_page_is_cut_short(sample_run):
    """pandas shortens notebook table cells to 50 characters ("How often I practise what I learned (1 never -...",
    "not tested: fewer than two groups large enough..."); a published table shows every label in full."""
    from bs4 import BeautifulSoup

    pages = [sample_run.out_dir / f"{pid}.html" for pid in ("riverside-literacy", "cafe-societe")]
    pages.append(sample_run.out_dir / "_portfolio.html")
    for page in pages:
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        cells = [c.get_text(" ", strip=True) for c in soup.select("table td, table th")]
        assert cells, page.name
        assert not [c for c in cells if c.endswith("...")], page.name
    riverside = BeautifulSoup(pages[0].read_text(encoding="utf-8"), "html.parser").get_text(" ")
    assert "How often I practise what I learned (1 never - 5 always)" in riverside


@pytest.mark.integration  # draws every figure of every sample report: about 5 s
def test_no_text_in_a_sample_report_figure_is_smaller_than_9_points():
    """The report style's floor (9 pt), checked on every figure the sample's reports and portfolio draw: the
    trajectory legend, its withheld-values note and the portfolio's shared-indicator bars were at 8 pt."""
    import evalkit as ek
    from conftest import ROOT
    from evalkit.health_report import HealthSections, PortfolioHealth
    from evalkit.report_portfolio import PortfolioReport

    sample = ROOT / "data" / "sample"
    data = ek.load_data(sample)
    figures = []
    for pid in ("riverside-literacy", "civic-coders", "first-gen-mentors"):
        part = ek.load_data(sample, pid)
        report, health = ek.report.PartnershipReport(part, pid), HealthSections(part, pid)
        figures += [report.glance_chart(), report.attendance_figure(), report.distribution_figure(),
                    report.satisfaction_figure(), report.trajectory_figure(), health.indicators_figure(),
                    health.milestones_figure(), health.partners_figure(), health.representation_figure()]
        for col in ("gender", "low_income"):   # by group: a legend, and a note on the means withheld
            table = ek.waves.trajectory(part, pid, by=col, min_group_size=30)
            if len(table):
                figures.append(ReportFigure(ek.waves.plot_trajectory(table, min_group_size=30), "trajectory"))
    figures += [*PortfolioReport(data).forest_figures(), PortfolioHealth(data).shared_indicators_figure()]
    shown = [f for f in figures if isinstance(f, ReportFigure)]
    assert len(shown) >= 25
    small = {(t.get_text(), t.get_fontsize()) for f in shown for t in f.figure.findobj(matplotlib.text.Text)
             if t.get_text().strip() and t.get_visible() and t.get_fontsize() < 9}
    assert small == set()
    for f in shown:   # a legend only where there is something to name (it had titled empty legends)
        for ax in f.figure.axes:
            legend = ax.get_legend()
            assert legend is None or [t.get_text() for t in legend.get_texts()], ax.get_title()


def test_the_index_names_no_type_for_a_partnership_of_type_other(tmp_path):
    """A card read "other partnership · north" (the report's subtitle already leaves "other" out)."""
    manifest = _manifest()
    manifest["partnerships"]["p03"]["partner_type"] = "other"
    page = write_index(tmp_path, manifest).read_text()
    alpha = page[page.index('id="p-p01"'):page.index('id="p-p02"')]
    gamma = page[page.index('id="p-p03"'):]
    assert "nonprofit partnership" in alpha and "other partnership" not in gamma


@pytest.mark.integration  # renders the portfolio template on 21 generated partnerships: about 10 s
def test_a_portfolio_of_many_partnerships_shows_every_row(tmp_path):
    """pandas shows a notebook table of more than 60 rows as its first and last five with a '...' row
    between ("72 rows x 4 columns"): a portfolio of 24 partnerships published 10 of its 72 shared-indicator
    rows, and one of more than 60 partnerships would drop partnerships from its overview table.
    21 partnerships: 3 shared indicators x 21 = 63 rows."""
    import papermill

    from evalkit.resources import template_path
    from evalkit.sample import write_sample

    data = tmp_path / "data"
    write_sample(data, partnerships=21, participants=30, seed=5)
    names = pd.read_csv(data / "partnerships.csv")["name"].tolist()
    assert len(names) == 21
    nb = papermill.execute_notebook(str(template_path("portfolio_report.ipynb")), str(tmp_path / "p.ipynb"),
                                    parameters={"data_dir": str(data)}, progress_bar=False, kernel_name="python3",
                                    cwd=str(tmp_path))
    tables = [o["data"]["text/html"] for cell in nb.cells if cell.cell_type == "code"
              for o in cell.get("outputs", []) if "text/html" in o.get("data", {})]
    html = "".join(t if isinstance(t, str) else "".join(t) for t in tables)
    assert not re.search(r"\d+ rows × \d+ columns", html)
    shared = next(t if isinstance(t, str) else "".join(t) for t in tables if "Estimate type" in "".join(t))
    assert shared.count("pre/post change") == 3 * 21    # every partnership's row of every shared indicator
    overview = next(t if isinstance(t, str) else "".join(t) for t in tables if "Targets met" in "".join(t))
    assert all(name in overview for name in names)
    methods = "".join("".join(o["data"].get("text/markdown", "")) for cell in nb.cells if cell.cell_type == "code"
                      for o in cell.get("outputs", []) if "data" in o)
    assert "0% is the lowest answer of its scale and 100% the highest" in methods   # the health columns explained


def test_the_index_explains_its_flags_and_says_when_no_target_could_be_judged(tmp_path):
    # trial 9: "small n" and "high attrition" stood on the cards unexplained; a partnership whose targets could not
    # be judged (too few participants) had no targets line at all, like one that set none
    from evalkit.batch.publish import write_index
    from evalkit.pageone import index_card

    outcomes = pd.DataFrame({"measure": ["m"], "suppressed": [True], "n_pairs": [pd.NA], "verdict": ["suppressed"]})
    targets = pd.DataFrame({"verdict": ["suppressed", "no data"]})
    card = index_card(outcomes, targets, retention_rate=0.4, no_outcomes=None)
    assert card["flags"] == ["high attrition", "small n"] and card["targets_total"] == 0 and card["targets_set"] == 2
    manifest = {"finished": "2026-01-01T00:00:00", "evalkit_version": "x", "partnerships": {
        "p1": {"status": "ok", "name": "Small one", "files": {"html": "p1.html"}, "headline": card},
        "p2": {"status": "ok", "name": "Other", "files": {"html": "p2.html"},
               "headline": {"headline": "Fine.", "targets_met": 1, "targets_total": 2, "targets_set": 2, "flags": []}}}}
    page = write_index(tmp_path, manifest).read_text()
    assert "None of its 2 targets could be judged: too few participants, or no data yet" in page and "<strong>1 of 2</strong> targets met" in page
    assert ('<span class="flag">small n</span>: fewer than 30 participants answered both surveys on the typical '
            "outcome") in page
    assert '<span class="flag">high attrition</span>: fewer than 50% of those who answered the first survey' in page
    assert "failed render</span>:" not in page   # only the flags the page shows are explained


def test_a_numeric_columns_header_is_aligned_with_its_numbers():
    # Trial 11 (F10): headers were left-aligned over right-aligned numbers, so in a narrow printed column a
    # figure sat under the next column's header (the portfolio's check-in and representation tables).
    from bs4 import BeautifulSoup

    page = ('<main class="ek-main"><h2>T</h2><table class="dataframe"><thead><tr><th>Group</th><th>n</th>'
            '<th>Share</th><th>Note</th></tr></thead><tbody>'
            '<tr><td>women</td><td>12</td><td>40%</td><td>ok</td></tr>'
            '<tr><td>men</td><td>not shown (privacy)</td><td>\u2013</td><td></td></tr>'
            '</tbody></table></main>')
    heads = BeautifulSoup(finish_page(page), "html.parser").select("thead th")
    numeric = {th.get_text(): "ek-num" in (th.get("class") or []) for th in heads}
    assert numeric == {"Group": False, "n": True, "Share": True, "Note": False}


def test_a_row_spanning_items_rows_are_printed_on_one_page():
    # Trial 11 (F4): the partners' check-in table (an item, then a row per check-in) broke between pages inside an
    # item; the rows at the top of the next page had no item label. Each item's rows are now a tbody kept whole.
    import weasyprint
    from bs4 import BeautifulSoup

    from pathlib import Path

    css = (Path(__file__).resolve().parents[1] / "evalkit" / "templates" / "nbconvert" / "evalkit" / "static"
           / "report.css").read_text(encoding="utf-8")
    rows = "".join(f'<tr><th rowspan="3">Item {i}</th><th id="i{i}a">a</th><td>3.{i}</td></tr>'
                   f'<tr><th id="i{i}b">b</th><td>3.{i}</td></tr><tr><th id="i{i}c">c</th><td>3.{i}</td></tr>'
                   for i in range(40))
    page = finish_page('<main class="ek-main"><h2>T</h2><table class="dataframe"><thead><tr><th>Item</th>'
                       f'<th>Check-in</th><th>Mean</th></tr></thead><tbody>{rows}</tbody></table></main>')
    assert len(BeautifulSoup(page, "html.parser").select("tbody.ek-group")) == 40
    assert finish_page(page) == page   # finishing twice changes nothing
    html = f"<html><head><style>{css}</style></head><body class='ek-report'>{page}</body></html>"
    document = _print(string=html)
    assert len(document.pages) >= 2
    on = {anchor: n for n, p in enumerate(document.pages) for anchor in p.anchors}
    split = [i for i in range(40) if len({on[f"i{i}{r}"] for r in "abc"}) > 1]
    assert split == []


#: A lead paragraph and its table as a report holds them: in one Markdown output (the methods' Data files), or in
#: two notebook outputs, the table after pandas' <style> (trial 12 F2: the outcomes table's lead was never kept).
_LEAD_LAYOUTS = {
    "one output": '<p id="lead"><strong>Data files.</strong></p><table>{table}</table>',
    "two outputs": ('<div class="jp-OutputArea"><div class="jp-OutputArea-child"><div class="jp-RenderedMarkdown '
                    'jp-OutputArea-output"><p id="lead">Each row compares the same participants.</p></div></div>'
                    '<div class="jp-OutputArea-child"><div class="jp-RenderedHTML jp-OutputArea-output"><div>'
                    '<style scoped="">.dataframe th {{ vertical-align: top; }}</style>'
                    '<table class="dataframe">{table}</table></div></div></div></div>'),
}


@pytest.mark.integration   # 18 WeasyPrint documents: the print tests, not the fast tier
@pytest.mark.parametrize("layout", list(_LEAD_LAYOUTS))
def test_a_short_table_and_the_line_that_leads_into_it_are_printed_on_one_page(layout):
    # Trial 11 (F12): 8 of 24 PDFs ended on a page holding the last one or two rows of the Data files table
    # (its heading and first rows on the page before). A table of at most KEEP_ROWS body rows is kept on one page
    # with the paragraph that introduces it, also when they are two outputs of a notebook (trial 12 F2).
    from pathlib import Path

    from evalkit.batch.html import KEEP_ROWS

    css = (Path(__file__).resolve().parents[1] / "evalkit" / "templates" / "nbconvert" / "evalkit" / "static"
           / "report.css").read_text(encoding="utf-8")
    rows = "".join(f'<tr><td id="r{i}">file{i}.csv</td><td>{i}</td></tr>' for i in range(KEEP_ROWS))
    long_rows = "".join(f'<tr><td id="l{i}">row {i}</td><td>{i}</td></tr>' for i in range(80))
    placed = {}
    for filler in range(40, 60, 4):   # move the table down the page until some placing of it meets a page end
        body = "".join(f"<p>Paragraph {j} of text that fills the page.</p>" for j in range(filler))
        table = f"<thead><tr><th>file</th><th>rows</th></tr></thead><tbody>{rows}</tbody>"
        page = finish_page(f'<main class="ek-main"><h2>Methods</h2>{body}{_LEAD_LAYOUTS[layout].format(table=table)}'
                           f'<p>Produced by evalkit.</p><table id="long"><thead><tr><th>a</th><th>b</th></tr></thead>'
                           f'<tbody>{long_rows}</tbody></table></main>')
        html = f"<html><head><style>{css}</style></head><body class='ek-report'>{page}</body></html>"
        document = _print(string=html)
        on = {anchor: n for n, p in enumerate(document.pages) for anchor in p.anchors}
        placed[filler] = {on["lead"], *(on[f"r{i}"] for i in range(KEEP_ROWS))}
        assert len({on[f"l{i}"] for i in range(80)}) > 1, "a long table still flows over pages"
    split = {f: pages for f, pages in placed.items() if len(pages) > 1}
    assert split == {}
    assert len({min(p) for p in placed.values()}) > 1, "the table never reached a page end: the test shows nothing"


def test_a_story_title_is_kept_with_its_story_in_print():
    # Trial 12 (F7): a success story's title ("Neighbours helping neighbours (5 May 2025, told by participant)") ended
    # a page and its text began the next. A paragraph just before a quotation leads into it (ek-lead: print keeps
    # it with what follows, as test_a_short_table_and_the_line_that_leads_into_it_are_printed_on_one_page shows).
    from bs4 import BeautifulSoup

    page = finish_page('<main class="ek-main"><h2>Stories</h2><p><strong>Neighbours</strong> (5 May 2025)</p>'
                       "<blockquote><p>Two families started a garden.</p></blockquote><p>After.</p></main>")
    soup = BeautifulSoup(page, "html.parser")
    title, after = soup.select("main > p")
    assert "ek-lead" in title.get("class", []) and "ek-lead" not in after.get("class", [])

