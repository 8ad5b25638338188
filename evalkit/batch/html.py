"""Export an executed notebook to one offline report page, code hidden, and print it to PDF.

The page comes from evalkit's own nbconvert template (``evalkit/templates/nbconvert/evalkit``,
extending ``lab``): a report stylesheet of its own (title block, numbered sections, tables
styled for reading, print CSS with page numbers, responsive down to phone width), figures
embedded as ``data:`` URIs with the alternative text :class:`evalkit.figures.ReportFigure`
stores in their output metadata, and nothing fetched from the network (no MathJax,
require.js or mermaid). :func:`finish_page` then numbers the sections, adds the table of
contents, marks the title block and labels every table cell with its column, so wide
tables can stack into one card per row on a narrow screen.

:func:`write_pdf` prints a page with WeasyPrint (offline: no URL is fetched).
"""
from __future__ import annotations

import logging
import re
import threading
from pathlib import Path

__all__ = ["TEMPLATE_DIR", "export_html", "finish_page", "write_pdf"]

#: Folder holding evalkit's nbconvert templates (``evalkit/`` inside it is the report template).
TEMPLATE_DIR = Path(__file__).resolve().parents[1] / "templates" / "nbconvert"
TEMPLATE_NAME = "evalkit"
#: Tables with more columns than this (index included) stack into cards on a narrow screen.
STACK_COLUMNS = 4
#: So do tables whose columns' longest words, with two characters of padding a column, add up to more characters
#: than this: a phone (390 px, 13 px table text) fits about 48, less with bold headers (the themes table, 48 by
#: this count, was 402 px wide); such a table could only fit by splitting words.
PHONE_CHARACTERS = 44
#: Table cells this short never wrap on screen ("< 0.001", "-0.59 to -0.21"); in print everything may wrap.
NOWRAP_CHARACTERS = 14
#: A table of at most this many body rows is printed on one page, with the paragraph that leads into it.
KEEP_ROWS = 20
#: Elements that end a run of text before a table: the one just before it, if a paragraph, leads into it.
_BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "img", "pre", "blockquote", "figure", "details"}
_NUMERIC = re.compile(r"^[\s(]*([<>\u2264\u2265]\s*)?[-+\u2212\u2013]?\d")

_local = threading.local()  # one exporter per thread: exporters keep state while converting


def _exporter():
    exporter = getattr(_local, "exporter", None)
    if exporter is None:
        exporter = _local.exporter = _new_exporter()
    return exporter


def _new_exporter():
    from nbconvert import HTMLExporter

    return HTMLExporter(
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(TEMPLATE_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
    )


def export_html(nb, title: str, links=()) -> str:
    """Return the offline report page of an executed notebook (code and prompts hidden).

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The executed notebook.
    title : str
        Page title (escaped by the template).
    links : sequence of (href, text), optional
        Links shown above the report, e.g. ``[("index.html", "All reports")]``
        (escaped; relative to the page).

    Returns
    -------
    str
        A complete HTML document with inline CSS and figures as ``data:`` URIs.

    Examples
    --------
    >>> import nbformat
    >>> page = export_html(nbformat.v4.new_notebook(), title="p01", links=[("index.html", "All reports")])
    >>> "<script src=" in page, '<a href="index.html">All reports</a>' in page
    (False, True)
    """
    resources = {"metadata": {"name": title}, "evalkit": {"links": [(str(h), str(t)) for h, t in links]}}
    body, _ = _exporter().from_notebook_node(nb, resources=resources)
    return finish_page(body)


def finish_page(page: str) -> str:
    """Number the sections, add the table of contents and label table cells.

    Method (on the parsed page, with BeautifulSoup):

    * the first ``h1`` and the paragraph after it form the title block (class ``ek-title``);
    * every ``h2`` gets a section number and a unique ``id``; a ``<nav class="ek-toc">``
      listing them, linked to those ids, follows the title block; the first
      ``.at-a-glance`` card gets the id ``at-a-glance``;
    * in every table, each body cell gets ``data-label`` (its column's header), numeric
      cells the class ``ek-num``, and tables with more than :data:`STACK_COLUMNS`
      columns the class ``ek-stack`` (the stylesheet stacks them below 56rem); a table of at
      most :data:`KEEP_ROWS` rows the class ``ek-keep`` and a paragraph just before it ``ek-lead``
      (print keeps both on one page), as it keeps a paragraph just before a quotation, and the paragraph
      just under a ``h2`` or ``h3``, with what follows.
      A pandas header row that only names the index is folded into the first row. Header
      cells get ``scope`` (``col`` in the head, ``row`` in the body) and a table without a
      caption the ``aria-label`` of the heading above it;
    * a heading more than one level below the one before it is raised (no skipped level).

    Parameters
    ----------
    page : str
        An HTML page exported with evalkit's template.

    Returns
    -------
    str

    Examples
    --------
    >>> page = finish_page('<main class="ek-main"><div><h1 id="T">T</h1><p>sub</p></div>'
    ...                    '<h2 id="A">A</h2><h2 id="B">B</h2></main>')
    >>> '<a href="#A"><span class="ek-secno">1</span>A</a>' in page
    True
    """
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(page, features="html.parser")
    main = soup.find("main") or soup
    if main.find("nav", class_="ek-toc") is not None:
        return page  # already finished
    _unique_ids(soup)
    title = main.find("h1")
    if title is not None:
        block = title.find_parent("div", class_="jp-Cell") or title.parent
        block["class"] = [*block.get("class", []), "ek-title"]
    _number_and_list_sections(soup, main, title)
    card = main.find(class_="at-a-glance")
    if card is not None and not card.get("id"):
        card["id"] = "at-a-glance"  # a stable anchor: links, and the PDF check that the card is on page 1
    _even_outline(main)
    for table in main.find_all("table"):
        _label_table(table)
        _name_table(table)
        _keep_short(table)
    for heading in main.find_all(["h2", "h3"]):   # a section's opening line, kept with what follows (trial 13)
        first = heading.find_next_sibling()
        if first is not None and first.name == "p" and "ek-lead" not in first.get("class", []):
            first["class"] = [*first.get("class", []), "ek-lead"]
    for quote in main.find_all("blockquote"):   # a story's title, kept with the story in print (trial 12)
        lead = quote.find_previous_sibling()
        if lead is not None and lead.name == "p" and "ek-lead" not in lead.get("class", []):
            lead["class"] = [*lead.get("class", []), "ek-lead"]
    return str(soup)


_HEADING = re.compile(r"^h[1-6]$")


def _even_outline(main) -> None:
    """Raise any heading more than one level below the heading before it (WCAG 1.3.1, a screen reader's outline).

    E.g. the ``h4`` table headings of a folded appendix that follows an ``h2`` become ``h3``.
    """
    previous = 0
    for heading in main.find_all(_HEADING):
        level = int(heading.name[1])
        if previous and level > previous + 1:
            level = previous + 1
            heading.name = f"h{level}"
        previous = level


def _heading_text(heading) -> str:
    """A heading's words, without its section number or the hidden pilcrow anchor link."""
    words = [s for s in heading.find_all(string=True)
             if not s.find_parent(class_=["ek-secno", "anchor-link"]) and s.strip() not in ("", "\u00b6")]
    return " ".join(" ".join(words).split())


def _name_table(table) -> None:
    """Give a table without a caption the accessible name of the heading it sits under (``aria-label``).

    A screen reader's table list then says which table is which (Outcomes, Age group, ...) instead of
    "table, 8 columns" twelve times. Nothing visible changes.
    """
    if table.find("caption") is not None or table.get("aria-label") or table.get("aria-labelledby"):
        return
    heading = table.find_previous(_HEADING)
    if heading is not None and _heading_text(heading):
        table["aria-label"] = _heading_text(heading)


def _unique_ids(soup) -> None:
    seen: dict[str, int] = {}
    for element in soup.find_all(id=True):
        ident = element["id"]
        if ident in seen:
            seen[ident] += 1
            new = f"{ident}-{seen[ident]}"
            element["id"] = new
            for link in element.find_all("a", class_="anchor-link"):
                link["href"] = f"#{new}"
        else:
            seen[ident] = 1


def _number_and_list_sections(soup, main, title) -> None:
    headings = [h for h in main.find_all("h2") if not h.find_parent(class_="at-a-glance")]
    if not headings:
        return
    nav = soup.new_tag("nav", attrs={"class": "ek-toc", "aria-label": "Contents"})
    caption = soup.new_tag("p", attrs={"class": "ek-toc-title"})
    caption.string = "Contents"
    nav.append(caption)
    items = soup.new_tag("ol")
    nav.append(items)
    for number, heading in enumerate(headings, start=1):
        if not heading.get("id"):
            heading["id"] = f"section-{number}"
        text = " ".join(s for s in heading.stripped_strings if s != "\u00b6")
        secno = soup.new_tag("span", attrs={"class": "ek-secno"})
        secno.string = str(number)
        heading.insert(0, secno)
        item, link = soup.new_tag("li"), soup.new_tag("a", href=f"#{heading['id']}")
        entry_no = soup.new_tag("span", attrs={"class": "ek-secno"})
        entry_no.string = str(number)
        link.append(entry_no)
        link.append(text)
        item.append(link)
        items.append(item)
    if len(headings) < 6:
        nav["class"] = ["ek-toc", "ek-toc-short"]  # one column
    anchor = title.find_parent("div", class_="jp-Cell") if title is not None else None
    if anchor is not None:
        anchor.insert_after(nav)
    else:
        main.insert(0, nav)


def _keep_short(table) -> None:
    """Mark a table of at most :data:`KEEP_ROWS` body rows ``ek-keep`` and a paragraph just before it ``ek-lead``:
    print keeps both on one page (trial 11: reports ended on a page holding the last rows of the Data files table,
    its heading and first rows on the page before)."""
    body = [r for b in (table.find_all("tbody", recursive=False) or [table]) for r in b.find_all("tr", recursive=False)]
    if len(body) > KEEP_ROWS:
        return
    table["class"] = [*table.get("class", []), "ek-keep"]
    # the nearest element before the table, in one Markdown output or in the notebook output before the table's
    # (pandas puts a <style> first: skipped); a paragraph there leads into the table (trial 12: the outcomes
    # table's lead is an output of its own)
    lead = table.find_previous(lambda tag: tag.name not in ("style", "script") and (
        tag.name in _BLOCKS or tag.name == "table"))
    if lead is not None and lead.name == "p":
        lead["class"] = [*lead.get("class", []), "ek-lead"]


def _label_table(table) -> None:
    thead = table.find("thead")
    rows = thead.find_all("tr", recursive=False) if thead else []
    if len(rows) == 2:  # pandas: column names, then a row naming the index only
        top, names = (r.find_all("th", recursive=False) for r in rows)
        n_index = sum(1 for c in top if not c.get_text(strip=True))
        named = [c.get_text(strip=True) for c in names]
        if n_index and not any(named[n_index:]) and len(top) == len(names):
            for cell, name in zip(top[:n_index], named[:n_index]):
                cell.string = name
            rows[1].decompose()
            rows = rows[:1]
    labels = [c.get_text(" ", strip=True) for c in rows[-1].find_all(["th", "td"], recursive=False)] if rows else []
    if len(labels) > STACK_COLUMNS or _whole_words_width(table) > PHONE_CHARACTERS:
        table["class"] = [*table.get("class", []), "ek-stack"]
    # header cells say what they head (a screen reader reads "Post, Skills, 3.4" for a cell)
    for row in rows:
        for cell in row.find_all("th", recursive=False):
            cell["scope"] = "colgroup" if int(cell.get("colspan", 1) or 1) > 1 else "col"
    _group_rows(table)
    numeric: dict[int, list[bool]] = {}   # column, counted from the right: is each non-empty body cell a number
    for row in [r for body in (table.find_all("tbody", recursive=False) or [table])
                for r in body.find_all("tr", recursive=False)]:
        cells = row.find_all(["th", "td"], recursive=False)
        for cell in cells:
            if cell.name == "th" and row.parent is not thead:
                cell["scope"] = "row"
        # cells missing on the left (row-spanning index cells above) are aligned from the right
        for i, (cell, label) in enumerate(zip(reversed(cells), reversed(labels))):
            if label:
                cell["data-label"] = label
            text = cell.get_text(strip=True)
            if cell.string is not None and re.match(r"^[<>\u2264\u2265] ", cell.string.strip()):
                cell.string = cell.string.strip().replace(" ", "\u00a0", 1)  # "< 0.001" stays on one line
            classes = cell.get("class", [])
            if cell.name == "td" and text:
                numeric.setdefault(i, []).append(bool(_NUMERIC.match(text)))
            if cell.name == "td" and _NUMERIC.match(text):
                classes = [*classes, "ek-num"]
            if cell.name == "td" and len(text) <= NOWRAP_CHARACTERS:
                classes = [*classes, "ek-nowrap"]
            if not text:
                classes = [*classes, "ek-empty"]
            if classes:
                cell["class"] = classes
    # a column mostly of numbers has its header right-aligned over them (a left-aligned header over right-aligned
    # numbers put a figure under the next column's header in a narrow printed table)
    if rows:
        heads = rows[-1].find_all(["th", "td"], recursive=False)[::-1]
        for i, flags in numeric.items():
            if i < len(heads) and 2 * sum(flags) >= len(flags) and any(flags):
                heads[i]["class"] = [*(c for c in heads[i].get("class", []) if c != "ek-num"), "ek-num"]


def _group_rows(table) -> None:
    """Give each group of rows under one row-spanning first cell (a pandas MultiIndex: an item and its check-ins)
    its own ``<tbody class="ek-group">``, which print keeps on one page: split by a page break, the rows on the
    next page had no label (trial 11). A table already grouped, or without such cells, is left as it is."""
    bodies = table.find_all("tbody", recursive=False)
    if len(bodies) != 1:
        return
    rows = bodies[0].find_all("tr", recursive=False)
    groups, left = [], 0
    for row in rows:
        first = row.find(["th", "td"], recursive=False)
        if left == 0:
            span = int(first.get("rowspan", 1) or 1) if first is not None else 1
            groups.append([])
            left = max(span, 1)
        groups[-1].append(row)
        left -= 1
    if len(groups) == len(rows):   # no row spans another: nothing to keep together
        return
    for group in groups[1:]:
        body = table.new_tag("tbody", attrs={"class": "ek-group"})
        table.append(body)
        for row in group:
            body.append(row.extract())
    bodies[0]["class"] = [*bodies[0].get("class", []), "ek-group"]


def _whole_words_width(table) -> int:
    """The narrowest the table can be without splitting a word, in characters: each column's longest word (columns
    counted from the right, as the body cells are labelled), plus two characters of padding a column."""
    longest: dict[int, int] = {}
    for row in table.find_all("tr"):
        for i, cell in enumerate(reversed(row.find_all(["th", "td"], recursive=False))):
            words = cell.get_text(" ", strip=True).split()
            longest[i] = max(longest.get(i, 0), max(map(len, words), default=0))
    return sum(n + 2 for n in longest.values())


def write_pdf(html_path, pdf_path) -> Path:
    """Print an HTML report to PDF with WeasyPrint, offline, using the page's print stylesheet.

    Method: WeasyPrint lays the page out for ``@media print`` (Letter pages,
    numbered, tables shrunk and wrapped, never clipped) and tags the PDF (headings,
    tables, figures with their alt text) for screen readers. Its URL fetcher refuses
    everything but ``data:`` URIs, so printing never touches the network and a
    page cannot pull in local files. The PDF is written atomically.

    Assumptions: WeasyPrint is installed (``pip install "evalkit[pdf]"``) and the
    system has Pango (any Linux desktop or server image, ``brew install pango`` on macOS).

    Parameters
    ----------
    html_path : str or Path
        The report page.
    pdf_path : str or Path
        Where to write the PDF.

    Returns
    -------
    Path

    Raises
    ------
    evalkit.errors.InputError
        If WeasyPrint cannot be imported.

    Examples
    --------
    >>> write_pdf("reports/riverside-literacy.html", "reports/riverside-literacy.pdf")  # doctest: +SKIP
    PosixPath('reports/riverside-literacy.pdf')
    """
    import os

    from evalkit.errors import InputError
    from evalkit.atomic import temporary_path

    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: the Pango library is missing
        raise InputError(f"PDF output needs WeasyPrint and the Pango library ({exc}); "
                         'install it with: pip install "evalkit[pdf]".') from exc

    html_path, pdf_path = Path(html_path), Path(pdf_path)
    tmp = temporary_path(pdf_path)
    # the stylesheet's screen-only rules (media features) are expected to be ignored: no warning per report
    logger = logging.getLogger("weasyprint")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        document = weasyprint.HTML(filename=str(html_path), url_fetcher=_offline_fetcher(weasyprint),
                                   media_type="print")
        # tagged (a structure tree of headings, tables and figures with their alt text), where WeasyPrint can
        # (63+): untagged, a screen reader reads the PDF as one stream of text and every figure is silent
        tags = {"pdf_tags": True} if "pdf_tags" in getattr(weasyprint, "DEFAULT_OPTIONS", {}) else {}
        document.write_pdf(str(tmp), **tags)
        os.replace(tmp, pdf_path)
    finally:
        logger.setLevel(level)
        tmp.unlink(missing_ok=True)
    return pdf_path


def _offline_fetcher(weasyprint):
    """A WeasyPrint URL fetcher that serves ``data:`` URIs only (WeasyPrint 68+ ``URLFetcher``, or older)."""
    if hasattr(weasyprint, "URLFetcher"):
        return weasyprint.URLFetcher(allowed_protocols=["data"])

    def offline(url: str, *args, **kwargs):  # WeasyPrint < 68: a function
        if url.startswith("data:"):
            return weasyprint.default_url_fetcher(url, *args, **kwargs)
        raise ValueError(f"evalkit prints offline; refused to fetch {url[:80]!r}")

    return offline
