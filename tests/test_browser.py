"""The published pages in a real browser: headless Chromium (Debian's chromium) driven by playwright.

The index, the portfolio summary and two reports of one run on the sample data (the session
fixture ``sample_run`` in conftest.py) are opened from disk and checked as a reader's browser
shows them: no console error, no request that leaves the folder, no horizontal scrolling at
phone (390 px) or desktop (1280 px) width, every image described, every internal link leading
somewhere, and in print no table inside a box that would clip it.

Without Chromium these tests are deselected and the run says so loudly (conftest.py).
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from conftest import CHROMIUM

pytestmark = pytest.mark.browser

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
PAGES = ["index.html", "_portfolio.html", "riverside-literacy.html", "eastside-stem.html"]
NO_ALT = "No description has been provided for this image"


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def pages(sample_run):
    return {name: sample_run.out_dir / name for name in PAGES}


class Visit:
    """A page opened at one width, with every console message, page error and request recorded."""

    def __init__(self, browser, path: Path, width: int = 1280, media: str = "screen"):
        self.context = browser.new_context(viewport={"width": width, "height": 900})
        self.page = self.context.new_page()
        self.errors, self.requests = [], []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        # anything not on disk or inline is recorded above and then refused, so nothing ever leaves the machine
        self.context.route(lambda url: not url.startswith(("file:", "data:")), lambda route: route.abort())
        self.page.emulate_media(media=media)
        self.page.goto(path.resolve().as_uri(), wait_until="load")

    def close(self):
        self.context.close()


@pytest.fixture
def visit(browser):
    opened = []

    def _open(path, **kw):
        opened.append(Visit(browser, path, **kw))
        return opened[-1]

    yield _open
    for v in opened:
        v.close()


@pytest.mark.parametrize("name", PAGES)
def test_page_loads_offline_without_console_errors(visit, pages, name):
    v = visit(pages[name])
    assert v.errors == []
    assert v.requests, "the page itself should have been requested"
    outside = [u for u in v.requests if not u.startswith(("file://", "data:"))]
    assert outside == [], f"{name} requested {outside}"


@pytest.mark.parametrize("width", [390, 768, 1024, 1280])  # phone, tablet, small laptop, desktop
@pytest.mark.parametrize("name", PAGES)
def test_no_horizontal_overflow(visit, pages, name, width):
    v = visit(pages[name], width=width)
    scroll, client = v.page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert client == width
    if scroll > client:  # name the widest offenders, so a failure says what to fix
        wide = v.page.evaluate("""() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
            .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))""")
        pytest.fail(f"{name} at {width}px scrolls sideways ({scroll} > {client}): {wide}")


@pytest.mark.parametrize("name", PAGES)
def test_every_image_has_meaningful_alt_text(visit, pages, name):
    v = visit(pages[name])
    alts = v.page.eval_on_selector_all("img", "els => els.map(e => e.getAttribute('alt'))")
    if name == "index.html":
        assert alts == []
        return
    assert alts, f"{name} shows no figure"
    for alt in alts:
        assert alt and alt.strip() and alt != NO_ALT, alts
        assert len(alt) > 40, alt  # a description from the data, not a word


def test_figures_are_described_from_their_data(visit, pages):
    alts = visit(pages["riverside-literacy.html"]).page.eval_on_selector_all(
        "img", "els => els.map(e => e.getAttribute('alt'))")
    attendance = [a for a in alts if a.startswith("Line chart of attendance")]
    # riverside-literacy's attendance: 216 of 300 at Session 1 (72%), 159 of 300 at Session 14 (53%)
    # (data/sample/attendance.csv counted with a plain pandas groupby of attended by session, not with evalkit)
    assert attendance == ["Line chart of attendance by session: attendance fell from 72% at Session 1 (9 Jun 2025) "
                          "to 53% at Session 14 (8 Sep 2025); lowest 50% (Session 9), highest 73% (Session 2)."]


@pytest.mark.parametrize("name", PAGES)
def test_every_internal_link_resolves(visit, pages, name):
    v = visit(pages[name])
    hrefs = v.page.eval_on_selector_all("a[href]", "els => els.map(e => [e.getAttribute('href'), e.href])")
    assert hrefs
    folder = pages[name].parent
    for raw, absolute in hrefs:
        url = urlparse(absolute)
        assert url.scheme in ("file", "data"), f"{name}: link {raw!r} leaves the folder"
        target = Path(unquote(url.path))
        assert target.is_file(), f"{name}: link {raw!r} points to a missing file"
        assert target.parent == folder, f"{name}: link {raw!r} points outside the report folder"
        if url.fragment:
            if target == pages[name]:
                found = v.page.evaluate("id => document.getElementById(id) !== null", unquote(url.fragment))
            else:
                found = f'id="{unquote(url.fragment)}"' in target.read_text(encoding="utf-8")
            assert found, f"{name}: link {raw!r} has no target"


def test_reports_link_back_to_the_index_and_the_portfolio(visit, pages):
    v = visit(pages["riverside-literacy.html"])
    nav = v.page.eval_on_selector_all(".ek-nav a", "els => els.map(e => [e.getAttribute('href'), e.textContent])")
    assert nav == [["index.html", "All reports"], ["_portfolio.html", "Portfolio summary"]]
    toc = v.page.eval_on_selector_all(".ek-toc a", "els => els.map(e => e.getAttribute('href'))")
    headings = v.page.eval_on_selector_all("main h2:not(.at-a-glance h2)", "els => els.map(e => '#' + e.id)")
    assert toc == headings and len(toc) >= 8  # every section listed, in order


@pytest.mark.parametrize("name", PAGES)
def test_print_never_clips_a_table(visit, pages, name):
    v = visit(pages[name], width=816, media="print")  # Letter paper is 8.5 in = 816 CSS px wide
    problems = v.page.evaluate("""() => {
        const out = [];
        const main = (document.querySelector('main') || document.body).getBoundingClientRect();
        for (const t of document.querySelectorAll('table')) {
            for (let e = t.parentElement; e && e !== document.documentElement; e = e.parentElement) {
                const s = getComputedStyle(e);
                if ([s.overflow, s.overflowX, s.overflowY].some(o => ['hidden', 'scroll', 'auto', 'clip'].includes(o)))
                    out.push('clipped by ' + e.tagName + '.' + e.className + ' (' + s.overflowX + ')');
            }
            const r = t.getBoundingClientRect();
            if (r.right > main.right + 1) out.push('table wider than the page: ' + Math.round(r.right) + ' > ' + Math.round(main.right));
        }
        return out;
    }""")
    assert problems == [], f"{name}: {problems}"


def test_tables_stack_into_labelled_cards_on_a_phone(visit, pages):
    v = visit(pages["riverside-literacy.html"], width=390)
    first = v.page.query_selector("table.ek-stack tbody td")
    assert first is not None
    label = v.page.evaluate("td => getComputedStyle(td, '::before').content", first)
    assert label.strip('"') == first.get_attribute("data-label") and label.strip('"')


@pytest.mark.parametrize("name", ["riverside-literacy.html", "_portfolio.html"])
def test_no_word_in_a_table_is_broken_mid_word_on_a_phone(visit, pages, name):
    # Trial 11 (F11): at 390 px the themes and results-by-group tables broke words between letters
    # ("confi|dence", "(no them|e)", "Groups compar|ed"): table cells allowed a break anywhere. A word that fits
    # the screen's width is never split; it moves to the next line whole.
    v = visit(pages[name], width=390)
    broken = v.page.evaluate("""() => {
        const out = [];
        const walker = document.createTreeWalker(document.querySelector('main') || document.body, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            if (!node.parentElement.closest('td, th') || node.parentElement.closest('code, pre')) continue;
            const re = /[A-Za-z]{4,}/g;   // words of letters: a number or a hyphenated pair may wrap at its sign
            let m;
            while ((m = re.exec(node.data)) !== null) {
                const r = document.createRange();
                r.setStart(node, m.index); r.setEnd(node, m.index + m[0].length);
                const lines = new Set([...r.getClientRects()].filter(x => x.width > 0).map(x => Math.round(x.top)));
                if (lines.size > 1) out.push(m[0]);
            }
        }
        return out.slice(0, 10);
    }""")
    assert broken == [], f"{name}: words split across lines: {broken}"


@pytest.mark.parametrize("name", ["riverside-literacy.html", "_portfolio.html"])
def test_figures_keep_their_drawn_size_on_a_phone(visit, pages, name):
    # Trial 11 (F9): at 390 px every figure was shrunk to the screen, its labels 2-4 px high. A figure now keeps
    # the width it was drawn at (its 9-pt type reads as 9 pt) and scrolls sideways in its own box; the page
    # does not (test_no_horizontal_overflow).
    v = visit(pages[name], width=390)
    sizes = v.page.eval_on_selector_all("main img", """els => els.map(e => [e.getAttribute('alt').slice(0, 40),
        e.getBoundingClientRect().width, e.naturalWidth, e.parentElement.scrollWidth > e.parentElement.clientWidth])""")
    assert sizes, f"{name} shows no figure"
    shrunk = [(alt, round(w), n) for alt, w, n, _ in sizes if w < 0.97 * min(n, 6.5 * 96)]
    assert shrunk == [], f"{name}: figures shrunk on a phone (alt, shown px, drawn px): {shrunk}"
    assert any(scrolls for *_, scrolls in sizes), "no figure is wider than a phone: the test shows nothing"
    # trial 12 (F4): a phone hides scroll bars, and what shows of a forest plot is its labels: each figure says
    # it can be swiped
    hints = v.page.eval_on_selector_all("main img", "els => els.map(e => getComputedStyle(e.parentElement, "
                                        "'::before').content)")
    assert all("swipe sideways" in h for h, (*_, scrolls) in zip(hints, sizes) if scrolls), hints
    # trial 14 (F-O): a one-panel last row of distributions (233 px) fits the screen whole, under the same hint
    narrow = [alt for (alt, w, *_), h in zip(sizes, hints) if w <= 300 and "swipe sideways" in h]
    assert narrow == [], f"{name}: figures that fit the screen but say to swipe: {narrow}"
