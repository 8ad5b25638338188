"""Figures as reports publish them: print resolution, readable type, alt text from the data.

:func:`report_style` is the look of every report figure (``savefig.dpi`` 200,
no type smaller than 9 pt, labels shown literally: no mathtext, so ``$``,
``_``, ``\\`` and ``%`` appear as typed). :class:`ReportFigure` pairs a
matplotlib figure with its alternative text; in a notebook it displays as an
SVG (vector: sharp at any print resolution) whose output metadata carries the
text (``{"image/svg+xml": {"alt": ...}}``), which evalkit's nbconvert template
writes into ``<img alt="...">``.

The ``describe_*`` functions write that text from the same data the matching
:mod:`evalkit.plots` function draws, so a reader who cannot see the figure is
told what it shows ("Line chart: attendance fell from 72% at Session 1 to 53%
at Session 14"). They say no more than the figure shows: groups the figure
leaves out for privacy are left out of the text too.
"""
from __future__ import annotations

import base64
import contextlib
import re
import struct
import threading
from dataclasses import dataclass
from io import BytesIO, StringIO

import numpy as np
import pandas as pd

from evalkit.labels import wave_label
from evalkit.narrate import _num as narrate_number, verdict_word
from evalkit.errors import InputError
from evalkit.privacy import DEFAULT_MIN_GROUP_SIZE, n_protecting, withheld_note

__all__ = ["PRINT_DPI", "STYLE", "ReportFigure", "report_style", "legend_below", "change_intervals", "describe_change", "describe_attendance",
           "describe_distributions", "describe_response_shares", "forest_verdicts", "describe_forest",
           "check_one_change_family", "change_withheld_note", "forest_withheld_note", "prediction_cut", "distribution_panels",
           "layout_memo", "tight_layout",
           "MESSAGE_LABEL", "figure_message", "wrap_label", "wrap_labels", "display_width"]

#: Resolution of report figures (dots per inch): sharp on paper and on high-density screens.
PRINT_DPI = 200
#: CSS pixels per inch: a figure 7.5 inches wide is shown 720 CSS pixels wide, so 9 pt type reads as 9 pt.
CSS_DPI = 96

#: matplotlib settings of report figures (see :func:`report_style`).
STYLE = {
    "savefig.dpi": PRINT_DPI,
    "savefig.bbox": "tight",
    "savefig.facecolor": "white",
    "figure.facecolor": "white",
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "legend.title_fontsize": 9,
    "figure.titlesize": 12,
    "text.parse_math": False,   # labels come from data: "$5 or more" must not become mathtext
    "text.usetex": False,
    "svg.fonttype": "path",     # SVG text drawn as outlines: the same look without the fonts installed
    "svg.hashsalt": "evalkit",  # SVG ids derived from the content, not random: the same figure, the same file
}


@contextlib.contextmanager
def report_style():
    """Context in which figures are drawn the way reports print them.

    Method: :func:`matplotlib.rc_context` with :data:`STYLE`: 200 dpi when saved,
    fonts of at least 9 pt, and ``text.parse_math`` off, so text from data
    (labels, names) is shown literally. Text objects keep the settings in force
    when they were created, so create the figure inside the context.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> with report_style():
    ...     fig, ax = plt.subplots()
    ...     label = ax.set_title("Cost in $ (from $5 to $10), 50%_share")
    >>> label.get_parse_math()
    False
    >>> plt.close(fig)
    """
    import matplotlib as mpl

    with mpl.rc_context(STYLE):
        yield


def legend_below(figure, handles) -> None:
    """Put the legend of ``figure`` under its plots, in one row, never over the data.

    Inside the axes some corner always holds a result for some data; under the plots nothing
    does. The figure gets matplotlib's constrained layout, which makes room for the legend
    (clear of the axis labels) at whatever size the figure is drawn, so call this instead of
    ``tight_layout``.
    """
    figure.set_layout_engine("constrained")
    figure.legend(handles=handles, loc="outside lower center", ncol=len(handles), frameon=False, fontsize=9)


#: Label (``Figure.get_label()``) of a figure that only says why there is nothing to draw.
MESSAGE_LABEL = "evalkit-message"


def wrap_label(text, width: int = 32, lines: int = 2) -> str:
    """A label for an axis tick or a panel title: wrapped onto at most ``lines`` lines of at most ``width`` characters.

    Method: a label too long for one line that ends with a parenthesis ("(1 never - 5 always)")
    whose text before it fits one line is broken before the parenthesis, so the scale's anchors
    stay together; any other label is wrapped at word boundaries (:func:`textwrap.wrap`). A label
    that needs more than ``lines`` lines is shortened in the middle, never at its end: a measure's
    label usually ends with its scale's anchors or with who gave the rating, which say what a change
    means, and labels of one survey often differ only there ("... (rated by the student, 1-5)",
    "... (rated by the teacher, 1-5)"). So its last line is the closing parenthesis whole, after the
    start of the label cut at a word with "...", or, without such a parenthesis, "..." and the
    label's last words. Characters are counted, a wide one (Chinese, Japanese, Korean: ``W`` or ``F`` in
    :func:`unicodedata.east_asian_width`) as two, as it is drawn: a label in them is wrapped at about
    ``width`` Latin characters' width too.

    Examples
    --------
    >>> print(wrap_label("How often I practise what I learned (1 never - 5 always)", 40))
    How often I practise what I learned
    (1 never - 5 always)
    >>> print(wrap_label("Communication between the partners is open and timely", 34))
    Communication between the partners
    is open and timely
    >>> print(wrap_label("How confident I feel reading aloud in class to other students "
    ...                  "(rated by the teacher, 1-5)", 40))
    How confident I feel reading aloud...
    (rated by the teacher, 1-5)
    >>> wrap_label("Skills (1-5)")
    'Skills (1-5)'
    """
    import textwrap

    text = " ".join(str(text).split())
    cells = display_width(text)
    if cells <= width:
        return text
    if cells > len(text):   # wide characters: wrap at as many characters as fill ``width`` on average
        width = max(4, width * len(text) // cells)
    head, paren, tail = text.rpartition(" (")
    anchors = "(" + tail if paren and text.endswith(")") and len(tail) < width else ""
    if lines >= 2 and anchors and len(textwrap.wrap(head, width)) <= lines - 1:
        return "\n".join(textwrap.wrap(head, width) + [anchors])
    wrapped = textwrap.wrap(text, width) or [""]
    if len(wrapped) <= lines:
        return "\n".join(wrapped)
    if lines >= 2 and anchors:   # the start, cut, then the anchors whole
        start = textwrap.wrap(head, width)
        return "\n".join(start[:lines - 2] + [_cut_end(" ".join(start[lines - 2:]), width)] + [anchors])
    if lines >= 2:               # the start, then "..." and the last words
        return "\n".join(wrapped[:lines - 1] + [_cut_start(" ".join(wrapped[lines - 1:]), width)])
    if anchors and len(anchors) <= width // 2:   # one line: the start, cut, and the anchors
        return _cut_end(head, width - len(anchors) - 1) + " " + anchors
    return _cut_end(text, width)


def display_width(text) -> int:
    """How many Latin characters' width ``text`` takes: a wide (Chinese, Japanese, Korean) character counts two.

    Examples
    --------
    >>> display_width("Skills"), display_width("技能")
    (6, 4)
    """
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in str(text))


def wrap_title(text, width: int, lines: int = 3) -> str:
    """A panel title: ``text`` wrapped at ``width`` characters; a longer one (a survey question's whole text) or
    one in wide (CJK) characters is cut onto at most ``lines`` lines by :func:`wrap_label`, its anchors kept.

    Examples
    --------
    >>> wrap_title("Confidence in reading aloud", 16)
    'Confidence in\\nreading aloud'
    """
    import textwrap

    text = str(text)
    head = textwrap.fill(text, width)
    if head.count("\n") >= lines or display_width(text) > len(text):
        head = wrap_label(text, width, lines=lines)
    return head


def wrap_labels(labels, width: int = 32, lines: int = 2) -> list[str]:
    """Labels of one axis wrapped by :func:`wrap_label`, different labels kept different.

    Method: each label is wrapped onto at most ``lines`` lines; labels that differ only in the
    part a shortening cut ("..., item 1 (1-5)" and "..., item 2 (1-5)") would read the same, so
    those, and only those, are given a line more until they differ (at most five more: past that
    they are long texts shown nearly whole).

    Examples
    --------
    >>> for label in wrap_labels(["Reading aloud in class to my teachers and parents, item 1 (1-5)",
    ...                           "Reading aloud in class to my teachers and parents, item 2 (1-5)", "Skills (1-5)"],
    ...                          30, lines=1):
    ...     print(label.replace("\\n", " / "))
    Reading aloud in class to my / teachers and parents, item 1 / (1-5)
    Reading aloud in class to my / teachers and parents, item 2 / (1-5)
    Skills (1-5)
    """
    labels = [" ".join(str(label).split()) for label in labels]
    shown = [wrap_label(label, width, lines) for label in labels]
    for more in range(lines + 1, lines + 6):
        origins: dict[str, set] = {}
        for text, label in zip(shown, labels):
            origins.setdefault(text, set()).add(label)
        clashing = {text for text, sources in origins.items() if len(sources) > 1}
        if not clashing:
            break
        shown = [wrap_label(label, width, more) if text in clashing else text for text, label in zip(shown, labels)]
    return shown


def _cut_end(text: str, width: int) -> str:
    """``text`` within ``width`` characters: its first words (or characters, for one long word) and "..."."""
    import textwrap

    cut = textwrap.shorten(text, width, placeholder="...")
    return cut if cut.strip(".") else text[:width - 3] + "..."


def _cut_start(text: str, width: int) -> str:
    """``text`` within ``width`` characters: "..." and its last words (or characters, for one long word)."""
    words, kept = text.split(" "), ""
    for word in reversed(words):
        longer = word + (" " + kept if kept else "")
        if len(longer) + 3 > width:
            break
        kept = longer
    return "..." + (kept or text[-(width - 3):])


def figure_message(figure) -> str | None:
    """The sentence a figure with nothing to draw says instead ("Too few matched participants ..."), or None.

    Method: the plot functions draw such a figure with one text and no axes, labelled
    :data:`MESSAGE_LABEL`; a report shows that text as a paragraph (:class:`ReportFigure`), not as a
    picture of words, which a phone shrinks to a few pixels, print sets in another font, and a screen
    reader or a search cannot read.

    Examples
    --------
    >>> from evalkit.plots import plot_attendance
    >>> import pandas as pd
    >>> figure_message(plot_attendance(pd.DataFrame(columns=["date", "rate"])))
    'Attendance was not recorded, or every session had too few attenders to show.'
    """
    if getattr(figure, "get_label", lambda: None)() != MESSAGE_LABEL:
        return None
    return " ".join(t.get_text() for ax in figure.axes for t in ax.texts)


def _png_size(png: bytes) -> tuple[int, int]:
    """Width and height in pixels, from the PNG header (IHDR chunk)."""
    return struct.unpack(">II", png[16:24])


def _svg_css_width(svg: str) -> int:
    """Display width in CSS pixels of a matplotlib SVG (its ``width`` is in points: 72 per inch)."""
    match = re.search(r'<svg[^>]*\swidth="([\d.]+)pt"', svg)
    return round(float(match.group(1)) * CSS_DPI / 72) if match else 0


@dataclass(frozen=True, eq=False)
class ReportFigure:
    """A matplotlib figure with the alternative text a report shows for it.

    Displayed in a notebook, it is one SVG (:meth:`svg`) whose output metadata
    carries ``alt`` and the display ``width`` (the figure's own size at 96 CSS
    pixels per inch). SVG rather than a print-resolution PNG: vector, so sharp on
    paper and on any screen, about 40% smaller, and about a third cheaper to
    make than a 200-dpi PNG (no rasterising or PNG compression). :meth:`png`
    still gives a PNG at ``dpi``. The figure is detached from pyplot when the
    wrapper is made, so the notebook shows it once, through the wrapper.

    Attributes
    ----------
    figure : matplotlib.figure.Figure
        The figure (draw on it, ``savefig`` it as usual).
    alt : str
        Alternative text: what the figure shows, in words, from its data.
    dpi : int
        Resolution of the PNG.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots(figsize=(4, 2))
    >>> _ = ax.plot([1, 2, 3])
    >>> shown = ReportFigure(fig, "Line chart: a line rising from 1 to 3.")
    >>> data, meta = shown._repr_mimebundle_()
    >>> meta["image/svg+xml"]["alt"]
    'Line chart: a line rising from 1 to 3.'
    """

    figure: object
    alt: str
    dpi: int = PRINT_DPI

    def __post_init__(self):
        import matplotlib.pyplot as plt

        plt.close(self.figure)  # shown once, through this wrapper, not again by the inline backend

    def png(self) -> bytes:
        """The figure as PNG bytes at ``dpi``, cropped to its content."""
        buffer = BytesIO()
        with report_style():  # text drawn now (ticks) gets the report's type too
            self.figure.savefig(buffer, format="png", dpi=self.dpi, bbox_inches="tight", facecolor="white")
        return buffer.getvalue()

    def svg(self) -> str:
        """The figure as SVG text, cropped to its content, text drawn as outlines, no timestamp.

        Method: the figure is drawn once with matplotlib's SVG renderer, then cropped to its
        tight bounding box (measured with the same renderer, so the text laid out while drawing
        is not laid out again) plus ``savefig.pad_inches``, by setting the SVG's ``viewBox``.
        The result has the size ``savefig(bbox_inches="tight")`` gives, which draws twice
        (once to measure, once to write): about a third of the cost of every report figure.
        Drawing and measuring happen inside :func:`layout_memo`, so each text and each axis's
        ticks are laid out once for both (the same SVG, about a quarter less CPU).
        """
        with report_style():
            return _svg_cropped(self.figure)

    @property
    def message(self) -> str | None:
        """What a figure with nothing to draw says instead (:func:`figure_message`), or None."""
        return figure_message(self.figure)

    def _message_html(self) -> str:
        import html

        return f'<p class="ek-figure-message">{html.escape(self.message)}</p>'

    def to_html(self, css_class: str = "ek-figure") -> str:
        """The figure as an ``<img>`` with its alt text, to place inside HTML (e.g. the at-a-glance card).

        A figure with only a message to give (:attr:`message`) is that message as a paragraph.

        Examples
        --------
        >>> import matplotlib.pyplot as plt
        >>> fig, ax = plt.subplots(figsize=(2, 1))
        >>> ReportFigure(fig, 'Chart of "A" & B').to_html()[:59]
        '<img class="ek-figure" alt="Chart of &quot;A&quot; &amp; B"'
        """
        import html

        if self.message is not None:
            return self._message_html()
        svg = self.svg()
        return (f'<img class="{html.escape(css_class)}" alt="{html.escape(self.alt)}" '
                f'width="{_svg_css_width(svg)}" '
                f'src="data:image/svg+xml;base64,{base64.b64encode(svg.encode("utf-8")).decode("ascii")}">')

    def savefig(self, *args, **kwargs):
        """``Figure.savefig`` at the report's resolution unless ``dpi`` is given."""
        kwargs.setdefault("dpi", self.dpi)
        return self.figure.savefig(*args, **kwargs)

    def _repr_mimebundle_(self, include=None, exclude=None):
        if self.message is not None:   # a sentence, shown as text
            return {"text/html": self._message_html(), "text/plain": self.message}, {}
        svg = self.svg()
        data = {"image/svg+xml": svg, "text/plain": f"<Figure: {self.alt}>"}
        meta = {"image/svg+xml": {"alt": self.alt, "width": _svg_css_width(svg)}}
        return data, meta

    def __repr__(self) -> str:
        return f"ReportFigure(alt={self.alt!r})"


_MEMO = threading.local()      # this thread's caches while a layout_memo() is open (None: none open)
_MEMO_LOCK = threading.Lock()
_MEMO_OPEN = [0]               # layout_memo() scopes open in all threads: the memoising methods are installed


def _memoised(name: str, original, key):
    """``original`` (a method), returning the result it gave for the same ``key(self, *args)`` in this scope."""
    def method(self, *args):
        caches = getattr(_MEMO, "caches", None)
        k = None if caches is None else key(self, *args)
        if k is None:
            return original(self, *args)
        cache = caches[name]
        if k not in cache:
            cache[k] = original(self, *args)
        result = cache[k]
        return list(result) if isinstance(result, list) else result   # a list of ticks the caller may change
    method.__wrapped__ = original
    return method


def _text_layout_key(text, renderer):
    """What ``Text._get_layout`` depends on: the string, font, alignment, rotation, spacing and dpi (not the
    position); None for wrapped text, whose lines depend on its position."""
    if text.get_wrap():
        return None
    return (id(text), id(renderer), text.get_text(), hash(text.get_fontproperties()), text.get_rotation(),
            text.get_rotation_mode(), text.get_horizontalalignment(), text.get_verticalalignment(),
            text._multialignment, text._linespacing, text.get_usetex(), text.get_parse_math(),
            getattr(text.figure, "dpi", None))


def _axis_ticks_key(axis):
    """What ``Axis._update_ticks`` depends on: the view interval, the axes' place and size on the figure (the
    number of ticks follows the axis length), the dpi and the locators and formatters."""
    axes = axis.axes
    return (id(axis), tuple(axis.get_view_interval()), axes.bbox.bounds, getattr(axes.figure, "dpi", None),
            id(axis.major.locator), id(axis.major.formatter), id(axis.minor.locator), id(axis.minor.formatter),
            len(vars(axis).get("majorTicks", ())), len(vars(axis).get("minorTicks", ())))  # not made if not yet


@contextlib.contextmanager
def layout_memo():
    """Context in which matplotlib lays out each text and each axis's ticks once per state, not at every query.

    Method: laying out a figure (``tight_layout``, constrained layout), drawing it and measuring its tight
    bounding box ask each tick label, title and axis label for its extent many times (the axis labels' places
    depend on the tick labels' extents, a spine's extent on its ticks, ...), and each time matplotlib lays the
    text out again and recomputes each axis's ticks (locator, formatter, one tick object per location): about
    a fifth of the CPU a report figure costs. Inside this context, ``Text._get_layout`` and
    ``Axis._update_ticks`` remember their result for the same object and the same inputs (string, font,
    alignment, rotation, dpi and renderer; view interval, axes position and size, locators and formatters),
    so the figure drawn is the same. The memory lasts until the context closes and holds only for the thread
    that opened it; figures must not be changed inside it other than by laying them out and drawing them.
    """
    from matplotlib.axis import Axis
    from matplotlib.text import Text

    if getattr(_MEMO, "caches", None) is not None or not (hasattr(Text, "_get_layout")
                                                           and hasattr(Axis, "_update_ticks")):
        yield   # nested: the outer context remembers; or a matplotlib without these methods: its own layout
        return
    with _MEMO_LOCK:
        if _MEMO_OPEN[0] == 0:
            Text._get_layout = _memoised("layout", Text._get_layout, _text_layout_key)
            Axis._update_ticks = _memoised("ticks", Axis._update_ticks, _axis_ticks_key)
        _MEMO_OPEN[0] += 1
    _MEMO.caches = {"layout": {}, "ticks": {}}
    try:
        yield
    finally:
        _MEMO.caches = None
        with _MEMO_LOCK:
            _MEMO_OPEN[0] -= 1
            if _MEMO_OPEN[0] == 0:
                Text._get_layout = Text._get_layout.__wrapped__
                Axis._update_ticks = Axis._update_ticks.__wrapped__


def tight_layout(figure, **kwargs) -> None:
    """``figure.tight_layout(**kwargs)`` inside :func:`layout_memo`: the same layout, each text laid out once."""
    with layout_memo():
        figure.tight_layout(**kwargs)


def _svg_cropped(figure) -> str:
    """``figure`` as SVG, drawn once and cropped to its tight bounding box (see :meth:`ReportFigure.svg`)."""
    import matplotlib as mpl
    from matplotlib.backends.backend_mixed import MixedModeRenderer
    from matplotlib.backends.backend_svg import RendererSVG

    out = StringIO()
    width, height = figure.get_size_inches()
    dpi, face = figure.dpi, figure.get_facecolor()
    figure.dpi = 72  # as FigureCanvasSVG.print_svg draws: SVG units are points
    figure.set_facecolor("white")
    try:
        renderer = MixedModeRenderer(figure, width, height, dpi,
                                     RendererSVG(width * 72, height * 72, out, image_dpi=dpi, metadata={"Date": None}))
        with layout_memo():   # the text and ticks laid out while drawing are not laid out again to measure
            figure.draw(renderer)
            box = figure.get_tightbbox(renderer)  # inches
        renderer.finalize()
    finally:
        figure.dpi = dpi
        figure.set_facecolor(face)
    pad = mpl.rcParams["savefig.pad_inches"]
    x0, y0, x1, y1 = box.x0 - pad, box.y0 - pad, box.x1 + pad, box.y1 + pad
    w, h = (x1 - x0) * 72, (y1 - y0) * 72
    left, top = x0 * 72, (height - y1) * 72  # SVG's y axis points down
    svg = out.getvalue()
    root = re.search(r"<svg\b[^>]*>", svg)
    header = re.sub(r'\swidth="[^"]*"\s+height="[^"]*"\s+viewBox="[^"]*"',
                    f' width="{w:.6g}pt" height="{h:.6g}pt" viewBox="{left:.6g} {top:.6g} {w:.6g} {h:.6g}"',
                    root.group(0), count=1)
    # the figure's white background covers its canvas; text reaching past it gets white behind it too
    background = f'\n <rect x="{left:.6g}" y="{top:.6g}" width="{w:.6g}" height="{h:.6g}" style="fill: #ffffff"/>'
    return svg[:root.start()] + header + background + svg[root.end():]


# ---- alternative text -----------------------------------------------------------------------------------

def _pct(x: float, signed: bool = False) -> str:
    text = _num(x, 0)
    return ("+" + text if signed and not text.startswith(("\u2212", "0")) else text) + "%"


def _num(x: float, digits: int = 2) -> str:
    return narrate_number(x, digits)


def _join(parts: list[str]) -> str:
    return "; ".join(parts)


def change_intervals(table: pd.DataFrame, conf_level: float = 0.95) -> pd.DataFrame:
    """The change table with ``ci_low``/``ci_high`` as :func:`evalkit.plots.plot_change` draws them.

    Where the table carries ``sd_change`` and ``n_pairs`` the interval is the
    paired t interval at ``conf_level`` (mean change +/- t_{n-1} sd / sqrt(n)),
    so the figure and its alt text follow ``conf_level`` even when the table was
    computed at another level; rows without them keep their stored interval.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`evalkit.compare_prepost` output.
    conf_level : float
        Confidence level of the intervals drawn.

    Returns
    -------
    pandas.DataFrame
        A copy of ``table``.
    """
    from scipy import stats

    t = table.copy()
    if "sd_change" in t.columns and "n_pairs" in t.columns and len(t):
        n = pd.to_numeric(t["n_pairs"], errors="coerce").astype(float).to_numpy()
        se = pd.to_numeric(t["sd_change"], errors="coerce").astype(float).to_numpy() / np.sqrt(n)
        df = np.where(n > 1, n - 1, np.nan)
        q = stats.t.ppf(0.5 + conf_level / 2, np.where(np.isfinite(df), df, 1.0))
        est = t["mean_change"].astype(float).to_numpy()
        ok = np.isfinite(df) & np.isfinite(se) & (se > 0)  # identical changes: no interval, as the table says
        t["ci_low"] = np.where(ok, est - q * se, t["ci_low"].astype(float))
        t["ci_high"] = np.where(ok, est + q * se, t["ci_high"].astype(float))
    return t


_PRIMARY_REASON = re.compile(r"fewer than (\d+) participants")   # as evalkit.privacy writes its notes
_COMPLEMENTARY_REASON = "cannot be worked out by subtraction"


#: The columns of a :func:`evalkit.compare_prepost` table the change figure and its alt text read
#: (and ``verdict`` or ``direction``).
CHANGE_COLUMNS = ("label", "mean_change", "ci_low", "ci_high", "suppressed", "scale_min", "scale_max")


def check_one_change_family(table: pd.DataFrame, func: str = "plot_change") -> None:
    """Raise :class:`~evalkit.errors.InputError` unless ``table`` holds one partnership and one group.

    The change figure draws each measure once, labelled by the measure alone; the
    rows of several partnerships or groups would be drawn as unlabelled duplicates
    (and their suppressed rows left out unsaid), so such a table is refused with
    the way to get one that fits. Tables without ``partnership_id`` or ``group``
    columns are taken as one partnership and one group. A table without the columns
    drawn (:data:`CHANGE_COLUMNS`, and ``verdict`` or ``direction``), or not a table,
    is refused too, naming what is missing.

    Examples
    --------
    >>> t = pd.DataFrame({"partnership_id": ["a", "a"], "group_variable": "gender", "group": ["man", "woman"]})
    >>> check_one_change_family(t)
    Traceback (most recent call last):
    ...
    evalkit.errors.InputError: plot_change draws the change of one partnership and one group, each measure once; this table holds 2 groups of 'gender' ('man', 'woman'). Keep the rows of one, e.g. table[table['group'] == 'man'], or call compare_prepost(data, 'a') for one partnership without by.
    """
    if not isinstance(table, pd.DataFrame):
        raise InputError(f"{func} draws a table from compare_prepost(data, partnership_id), got "
                         f"{type(table).__name__} {table!r:.60}")

    def values(column):
        if column not in table.columns:
            return []
        return sorted({str(v) for v in table[column].astype(object).where(table[column].notna(), "<missing>")})

    pids, groups = values("partnership_id"), values("group")
    held, keep = [], []
    if len(pids) > 1:
        held.append(f"{len(pids)} partnerships ({_some(pids)})")
        keep.append(f"(table['partnership_id'] == {pids[0]!r})")
    if len(groups) > 1:
        variables = values("group_variable") if "group_variable" in table.columns else []
        of = f" of {variables[0]!r}" if len(variables) == 1 else ""
        held.append(f"{len(groups)} groups{of} ({_some(groups)})")
        keep.append(f"(table['group'] == {groups[0]!r})")
    if not held:
        missing = [c for c in CHANGE_COLUMNS if c not in table.columns]
        if not ({"verdict", "direction"} & set(table.columns)):
            missing.append("verdict")
        if missing:
            raise InputError(f"{func} draws a table from compare_prepost(data, partnership_id); this one is "
                             f"missing the columns {missing}")
        return
    rows = keep[0][1:-1] if len(keep) == 1 else " & ".join(keep)
    pid = repr(pids[0]) if pids else "PARTNERSHIP_ID"
    raise InputError(f"{func} draws the change of one partnership and one group, each measure once; this table "
                     f"holds {' and '.join(held)}. Keep the rows of one, e.g. table[{rows}], or call "
                     f"compare_prepost(data, {pid}) for one partnership without by.")


def _some(names: list[str], at_most: int = 3) -> str:
    shown = ", ".join(repr(n) for n in names[:at_most])
    return shown + (", ..." if len(names) > at_most else "")


def change_withheld_note(table: pd.DataFrame, *, min_group_size: int | None = None) -> str:
    """The sentence the change figure and its alt text give for the measures they leave out ("" if none).

    A measure is left out when its row is suppressed (or has no mean change).
    When some rows were blanked in a table of groups (complementary suppression: their
    note says so), every left-out measure is given one reason, small or protecting, so
    the sentence does not tell which are the small ones
    (:func:`evalkit.privacy.withheld_note`).

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`evalkit.compare_prepost` output for one partnership and one group.
    min_group_size : int, optional
        The table's minimum group size. Default: the one its suppression notes
        state (``"suppressed: fewer than k participants"``), else
        :data:`evalkit.privacy.DEFAULT_MIN_GROUP_SIZE`.

    Examples
    --------
    >>> t = pd.DataFrame({"mean_change": [0.5, None, None], "suppressed": [False, True, True],
    ...                   "note": ["", "suppressed: fewer than 5 participants", "suppressed: fewer than 5 participants"]})
    >>> change_withheld_note(t)
    '2 measures not shown: fewer than 5 people each.'
    """
    hidden = table[~_drawn(table)]
    if hidden.empty:
        return ""
    notes = (hidden["note"].astype(object).where(hidden["note"].notna(), "").astype(str) if "note" in hidden.columns
             else pd.Series("", index=hidden.index))
    if min_group_size is None:
        stated = notes.str.extract(_PRIMARY_REASON, expand=False).dropna()
        min_group_size = int(stated.iloc[0]) if len(stated) else DEFAULT_MIN_GROUP_SIZE
    complementary = int(notes.str.contains(_COMPLEMENTARY_REASON, regex=False).sum())
    return withheld_note(len(hidden), "measures", min_group_size, protected=complementary)


def _drawn(table: pd.DataFrame) -> np.ndarray:
    """Rows of a change table the figure draws: not suppressed, with a mean change."""
    return (~table["suppressed"].astype(bool) & table["mean_change"].notna()).to_numpy()


def distribution_panels(data, partnership_id: str, measures=None, *, pre: str = "pre", post: str = "post",
                        min_group_size: int = DEFAULT_MIN_GROUP_SIZE):
    """The matched pairs, the measures :func:`evalkit.plots.plot_distributions` draws, and its withheld note.

    A measure is drawn when at least ``min_group_size`` participants answered it
    at both waves. The others asked for (every measure in ``measures``, or, by
    default, every measure someone answered at both waves) are left out, and the
    note (:func:`evalkit.privacy.withheld_note`) says how many.

    Returns
    -------
    tuple
        ``(pairs, shown, note)``: the complete pairs (:func:`evalkit.compare.matched_pairs`),
        the measures drawn in order, and the note ("" when none is left out).
    """
    from evalkit.compare import matched_pairs

    pairs = matched_pairs(data, partnership_id, measures, pre=pre, post=post).dropna()
    counts = pairs.groupby("measure").size()
    shown = [m for m in counts.index if counts[m] >= min_group_size]
    asked = list(dict.fromkeys(measures)) if measures is not None else list(counts.index)
    return pairs, shown, withheld_note(len([m for m in asked if m not in shown]), "measures", min_group_size)


@dataclass(frozen=True)
class ChangeAxis:
    """The measures the change figure draws, each change placed on one shared axis (see :func:`change_axis`).

    ``table`` holds the drawn rows with ``mean_change_pct``, ``ci_low_pct`` and ``ci_high_pct``:
    percent of the scale's range, or, when ``standardised``, baseline standard deviations.
    ``no_spread`` counts the measures left out of a standardised axis because nobody's
    answer differed at the first wave (no SD to divide by).
    """

    table: pd.DataFrame
    standardised: bool
    no_spread: int

    def note(self) -> str:
        """The sentence for the measures left out for having no spread ("" if none)."""
        if not self.no_spread:
            return ""
        n = self.no_spread
        return (f"{n} measure{'s' if n != 1 else ''} not shown: no spread at the first wave, so no standard "
                "deviation to divide by.")

    def value(self, x: float) -> str:
        """One position on the axis as text: ``"+12%"`` or ``"+0.45 SD"``."""
        if not self.standardised:
            return _pct(x, True)
        text = _num(x, 2)
        return ("+" + text if not text.startswith(("\u2212", "0.00")) else text) + " SD"


def change_axis(table: pd.DataFrame, conf_level: float = 0.95) -> ChangeAxis:
    """Place each drawn measure's change and interval on the change figure's one axis.

    Method: the rows drawn are those not suppressed and with a mean change; their intervals are
    the paired t intervals at ``conf_level`` (:func:`change_intervals`). Each change is divided
    by its scale's range (x 100: percent of the range), so that 1-5, 0-20 and yes/no measures
    share an axis. When any drawn measure declares no scale bounds there is no range to divide
    by, so every measure is divided by its SD at the first wave instead (standardised change);
    measures whose baseline SD is 0 are then left out and counted in ``no_spread``.
    """
    t = change_intervals(table[_drawn(table)], conf_level)
    span = (t["scale_max"] - t["scale_min"]).astype(float)
    standardised = bool(len(t)) and not np.isfinite(span).all()
    no_spread = 0
    if standardised:
        sd = t["sd_pre"].astype(float)
        keep = (sd > 0).to_numpy()
        no_spread = int((~keep).sum())
        t, span = t[keep].copy(), sd[keep]
    for c in ("mean_change", "ci_low", "ci_high"):
        t[c + "_pct"] = (1 if standardised else 100) * t[c].astype(float) / span
    return ChangeAxis(t, standardised, no_spread)


def describe_change(table: pd.DataFrame, *, conf_level: float = 0.95, min_group_size: int | None = None) -> str:
    """Alternative text for :func:`evalkit.plots.plot_change`.

    Lists each measure the figure draws, from the largest change to the
    smallest, with its change as a share of the scale's range, its interval
    at ``conf_level`` (recomputed as the figure draws it, :func:`change_intervals`)
    and its direction as the outcomes table states it.

    Parameters
    ----------
    table : pandas.DataFrame
        The :func:`evalkit.compare_prepost` table the figure is drawn from.
    conf_level : float
        Confidence level of the intervals.
    min_group_size : int, optional
        For the sentence on measures left out (:func:`change_withheld_note`, as the figure's note).

    Returns
    -------
    str

    Raises
    ------
    evalkit.errors.InputError
        If the table holds several partnerships or groups (:func:`check_one_change_family`).

    Examples
    --------
    >>> t = pd.DataFrame({"label": ["Skills (1-5)"], "mean_change": [0.5], "ci_low": [0.25], "ci_high": [0.75],
    ...                   "scale_min": [1.0], "scale_max": [5.0], "direction": ["improved"], "suppressed": [False]})
    >>> describe_change(t)
    'Dot plot of the mean change from pre to post on 1 measure, as a percentage of each scale’s range, with 95% intervals: Skills (1-5) +12% (95% CI +6% to +19%), improved.'
    """
    check_one_change_family(table, "describe_change")
    axis = change_axis(table, conf_level)
    shown = axis.table
    notes = " ".join(n for n in (change_withheld_note(table, min_group_size=min_group_size), axis.note()) if n)
    if shown.empty:
        return " ".join(s for s in ("No measure had enough matched participants to show a change.", axis.note()) if s)
    order = shown["mean_change_pct"].sort_values(ascending=False).index
    level = f"{round(conf_level * 100)}%"
    parts = []
    for i in order:
        r = shown.loc[i]
        interval = (f" ({level} CI {axis.value(r['ci_low_pct'])} to {axis.value(r['ci_high_pct'])})"
                    if np.isfinite(r["ci_low_pct"]) else _no_interval(r))
        verdict = verdict_word(str(r["verdict"] if "verdict" in r.index else r["direction"]).lower())
        parts.append(f"{r['label']} {axis.value(r['mean_change_pct'])}{interval}, {verdict}")
    n = len(shown)
    unit = ("in baseline standard deviations (each measure's change over its SD at the first wave)"
            if axis.standardised else "as a percentage of each scale\u2019s range")
    tail = f" {notes}" if notes else ""
    return (f"Dot plot of the mean change from pre to post on {n} measure{'s' if n != 1 else ''}, {unit}, "
            f"with {level} intervals: {_join(parts)}.{tail}")


def _no_interval(row) -> str:
    """Why a drawn change has no interval, when the reason is that every change was the same ("" otherwise)."""
    if row.get("sd_change") != 0:
        return ""
    return (" (no interval: no participant changed)" if row["mean_change"] == 0
            else " (no interval: every participant changed by the same amount)")


def describe_attendance(session_table: pd.DataFrame) -> str:
    """Alternative text for :func:`evalkit.plots.plot_attendance`.

    States the first and last session's attendance and whether it rose, fell
    or held (a difference under 3 percentage points counts as holding), and
    the lowest and highest sessions.

    Parameters
    ----------
    session_table : pandas.DataFrame
        :func:`evalkit.participation.session_attendance` output (suppressed sessions have no rate).

    Returns
    -------
    str

    Examples
    --------
    >>> s = pd.DataFrame({"session": ["Week 1", "Week 2", "Week 14"], "rate": [0.74, 0.61, 0.56],
    ...                   "date": pd.to_datetime(["2025-01-06", "2025-01-13", "2025-04-07"])})
    >>> describe_attendance(s)
    'Line chart of attendance by session: attendance fell from 74% at Week 1 (6 Jan 2025) to 56% at Week 14 (7 Apr 2025); lowest 56% (Week 14), highest 74% (Week 1).'
    """
    t = session_table.dropna(subset=["rate"])
    if t.empty:
        return "Attendance was not recorded, or every session had too few attenders to show."
    first, last = t.iloc[0], t.iloc[-1]

    def at(r) -> str:
        date = pd.Timestamp(r["date"]) if "date" in r and pd.notna(r["date"]) else None
        when = f" ({date.day} {date:%b %Y})" if date is not None else ""
        return f"{r['session']}{when}"

    if len(t) == 1:
        text = f"Line chart of attendance by session: {_pct(100 * first['rate'])} attended {at(first)}."
    else:
        diff = 100 * (last["rate"] - first["rate"])
        verb = "rose" if diff >= 3 else "fell" if diff <= -3 else "held steady"
        middle = "from" if verb != "held steady" else "between"
        link = "to" if verb != "held steady" else "and"
        low, high = t.loc[t["rate"].idxmin()], t.loc[t["rate"].idxmax()]
        text = (f"Line chart of attendance by session: attendance {verb} {middle} {_pct(100 * first['rate'])} at "
                f"{at(first)} {link} {_pct(100 * last['rate'])} at {at(last)}; lowest {_pct(100 * low['rate'])} "
                f"({low['session']}), highest {_pct(100 * high['rate'])} ({high['session']}).")
    hidden = len(session_table) - len(t)
    # sessions withheld in a table of groups (complementary suppression) get one reason, small or protecting:
    # which is which would give the small ones away (evalkit.privacy, rule 2)
    guard = n_protecting(session_table, session_table["rate"].isna())
    if hidden:
        text += f" {hidden} session{'s' if hidden != 1 else ''} not shown: too few attenders" + (
            ", or left out with one so that it cannot be worked out by subtraction." if guard else ".")
    return text


def describe_distributions(data, partnership_id: str, measures=None, *, pre: str = "pre", post: str = "post",
                           min_group_size: int = DEFAULT_MIN_GROUP_SIZE) -> str:
    """Alternative text for :func:`evalkit.plots.plot_distributions`.

    For each panel the figure draws (measures with at least ``min_group_size``
    matched participants): the median before and after for continuous
    measures, the share answering yes for yes/no measures, and for rating
    scales the share in the two highest answers; then, as the figure's note,
    how many measures are not shown (:func:`distribution_panels`).

    Parameters
    ----------
    data : evalkit.load.Dataset
    partnership_id : str
    measures : list of str, optional
    pre, post : str
        Waves compared.
    min_group_size : int
        Measures with fewer matched participants are not drawn, nor described.

    Returns
    -------
    str

    Examples
    --------
    >>> import evalkit as ek  # doctest: +SKIP
    >>> describe_distributions(ek.load_data("data/sample"), "riverside-literacy")  # doctest: +SKIP
    'Pre and post answers of the same participants, one panel per measure: Knowledge test score ...'
    """
    from evalkit.compare import scored_if_asked

    data = scored_if_asked(data, measures)  # a scale asked for by name: its score, as the figure draws it
    pairs, shown, note = distribution_panels(data, partnership_id, measures, pre=pre, post=post,
                                             min_group_size=min_group_size)
    meta = data.measures.set_index("measure")
    if not shown:
        return "Too few matched participants to show distributions."
    parts = []
    for m in shown:
        p = pairs[pairs["measure"] == m]
        label, kind = meta.at[m, "label"], meta.at[m, "kind"]
        if kind == "continuous":
            parts.append(f"{label}: median {_num(p['pre'].median(), 1)} before and {_num(p['post'].median(), 1)} "
                         f"after (n = {len(p)})")
        elif kind == "binary":
            parts.append(f"{label}: {_pct(100 * (p['pre'] > 0).mean())} answered yes before and "
                         f"{_pct(100 * (p['post'] > 0).mean())} after (n = {len(p)})")
        else:
            hi = int(meta.at[m, "scale_max"])
            top = [hi - 1, hi]
            parts.append(f"{label}: {_pct(100 * p['pre'].round().isin(top).mean())} chose {top[0]} or {top[1]} "
                         f"before and {_pct(100 * p['post'].round().isin(top).mean())} after (n = {len(p)})")
    return ("Pre and post answers of the same participants, one panel per measure (box plots for scores, "
            f"stacked shares of each answer for rating scales): {_join(parts)}." + (f" {note}" if note else ""))


def describe_response_shares(data, partnership_id: str, measure: str, wave: str = "post",
                             min_group_size: int = DEFAULT_MIN_GROUP_SIZE) -> str:
    """Alternative text for :func:`evalkit.plots.plot_response_shares`: the share choosing each answer.

    Parameters
    ----------
    data : evalkit.load.Dataset
    partnership_id, measure, wave : str
    min_group_size : int
        With fewer responses the figure shows nothing, and the text says so.

    Returns
    -------
    str

    Examples
    --------
    >>> import evalkit as ek  # doctest: +SKIP
    >>> describe_response_shares(ek.load_data("data/sample"), "riverside-literacy", "satisfaction")  # doctest: +SKIP
    'Bar chart of answers to Overall satisfaction with the programme (1-5) at post (n = 218): 1 0%; 2 ...'
    """
    r = data.responses
    x = r.loc[(r["partnership_id"] == partnership_id) & (r["measure"] == measure) & (r["wave"] == wave), "value"].dropna()
    m = data.measures.set_index("measure").loc[measure]
    if len(x) < min_group_size:
        return f"Too few responses to show {m['label']}."
    levels = list(range(int(m["scale_min"]), int(m["scale_max"]) + 1))
    share = whole_percents(x.round().astype(int).value_counts().reindex(levels, fill_value=0))
    parts = [f"{level}: {share[level]}%" for level in levels]
    return f"Bar chart of answers to {m['label']} at {wave_label(wave)} (n = {len(x)}): {_join(parts)}."


def whole_percents(counts: pd.Series) -> pd.Series:
    """Counts as whole percents that add up to 100 (largest remainder: each share rounded down, the points left
    given to the largest fractions), so a reader adding the shown shares gets 100 and, mostly, the sentence's total
    of two answers (46 + 52 + 1 = 99 from independent rounding of 46.3, 52.3 and 1.4 becomes 46 + 52 + 2).

    Examples
    --------
    >>> whole_percents(pd.Series({3: 101, 4: 114, 5: 3})).tolist()
    [46, 52, 2]
    """
    total = counts.sum()
    if total == 0:
        return counts * 0
    exact = counts * 100 / total
    out = np.floor(exact).astype(int)
    left = 100 - int(out.sum())
    out.loc[(exact - out).sort_values(ascending=False, kind="stable").index[:left]] += 1
    return out


def forest_verdicts(changes: pd.DataFrame, *, conf_level: float = 0.95, higher_is_better: bool = True) -> pd.DataFrame:
    """Each partnership's interval as :func:`evalkit.plots.plot_forest` draws it, and its verdict.

    The interval is ``mean_change +/- q se`` at ``conf_level``, q from t with the
    row's ``df`` (the normal where no df is given); rows without ``se`` keep
    their ``ci_low``/``ci_high``. The verdict is "improved" or "declined" only
    when the interval excludes no change (0), in the direction ``higher_is_better``
    says is better; otherwise "no clear change". A ``verdict`` column in ``changes`` (a
    partnership's report verdict: its own test, Holm-adjusted across the report's outcomes,
    and the interval) is kept where it is set: the interval alone can exclude 0 where the
    report, allowing for its several outcomes, finds no clear change.

    Parameters
    ----------
    changes : pandas.DataFrame
        Rows of :func:`evalkit.portfolio.shared_indicator_changes`.
    conf_level : float
        Confidence level of the intervals.
    higher_is_better : bool
        Whether a rise on the indicator is an improvement.

    Returns
    -------
    pandas.DataFrame
        ``changes`` with ``ci_low``, ``ci_high`` at ``conf_level`` and ``verdict``.
    """
    from scipy import stats

    c = changes.copy()
    est = c["mean_change"].astype(float).to_numpy()
    if "se" in c.columns:
        se = pd.to_numeric(c["se"], errors="coerce").astype(float).to_numpy()
        df = (pd.to_numeric(c["df"], errors="coerce").astype(float).to_numpy() if "df" in c.columns
              else np.full(len(c), np.nan))
        tail = 0.5 + conf_level / 2
        q = np.where(np.isfinite(df) & (df > 0), stats.t.ppf(tail, np.where(df > 0, df, 1.0)), stats.norm.ppf(tail))
        ok = np.isfinite(se)
        c["ci_low"] = np.where(ok, est - q * se, c["ci_low"].astype(float))
        c["ci_high"] = np.where(ok, est + q * se, c["ci_high"].astype(float))
    low, high = c["ci_low"].astype(float), c["ci_high"].astype(float)
    up, down = ("improved", "declined") if higher_is_better else ("declined", "improved")
    own = np.where(low > 0, up, np.where(high < 0, down, "no clear change"))
    if "verdict" in c.columns:   # each partnership's report's own verdict (its test, Holm-adjusted), where given
        given = c["verdict"].map({"improved": "improved", "worsened": "declined", "declined": "declined",
                                  "no clear change": "no clear change"})
        own = np.where(given.notna(), given.astype(object), own)
    c["verdict"] = own
    return c


def prediction_cut(pi, possible) -> bool:
    """Whether a prediction interval ``pi`` (low, high) reaches past the ``possible`` changes (low, high, or None)."""
    return (possible is not None and np.isfinite(pi).all() and np.isfinite(possible).all()
            and (pi[0] < possible[0] or pi[1] > possible[1]))


def forest_withheld_note(changes: pd.DataFrame, pooled_row, min_group_size: int | None) -> str:
    """How many partnerships a forest plot of ``pooled_row``'s indicator leaves out, suppressed for having fewer
    than ``min_group_size`` matched participants ("" for none, or without a ``min_group_size``).

    Examples
    --------
    >>> c = pd.DataFrame({"measure": ["k"] * 3, "suppressed": [True, False, False]})
    >>> forest_withheld_note(c, pd.Series({"measure": "k"}), 10)
    '1 partnership not shown: fewer than 10 people.'
    """
    if min_group_size is None:
        return ""
    hidden = int((changes["suppressed"].astype(bool) & (changes["measure"] == pooled_row["measure"])).sum())
    return withheld_note(hidden, "partnerships", min_group_size)


def describe_forest(changes: pd.DataFrame, pooled_row, *, conf_level: float = 0.95,
                    higher_is_better: bool = True, digits: int = 2, possible: tuple | None = None,
                    min_group_size: int | None = None) -> str:
    """Alternative text for :func:`evalkit.plots.plot_forest`.

    Parameters
    ----------
    changes : pandas.DataFrame
        :func:`evalkit.portfolio.shared_indicator_changes` output.
    pooled_row : pandas.Series
        The indicator's row of :func:`evalkit.portfolio.pooled_changes`.
    conf_level : float
        Confidence level of the intervals.
    higher_is_better : bool
        Whether a rise is an improvement: the partnerships are named by verdict
        (:func:`forest_verdicts`), as the figure colours them.
    digits : int
        Decimals of every number (0 for changes in percentage points, as the portfolio states them).
    possible : (float, float), optional
        The least and largest change the indicator can take: a prediction interval past them is said to be
        (the figure cuts it there).
    min_group_size : int, optional
        The minimum group size the changes were suppressed at: the text ends saying how many partnerships
        it leaves out (:func:`forest_withheld_note`), as the figure does.

    Returns
    -------
    str

    Examples
    --------
    >>> c = pd.DataFrame({"measure": ["k", "k"], "name": ["A", "B"], "mean_change": [0.5, 1.5],
    ...                   "ci_low": [0.0, 1.0], "ci_high": [1.0, 2.0], "suppressed": [False, False]})
    >>> row = pd.Series({"measure": "k", "label": "Knowledge", "estimate": 1.0, "ci_low": 0.3, "ci_high": 1.7,
    ...                  "pi_low": -0.5, "pi_high": 2.5})
    >>> describe_forest(c, row)
    'Forest plot of Knowledge: mean change in 2 partnerships, from 0.50 (A) to 1.50 (B); improved: B; no clear change: A; pooled random-effects estimate 1.00 (95% CI 0.30 to 1.70; prediction interval −0.50 to 2.50).'
    """
    c = changes[(changes["measure"] == pooled_row["measure"]) & ~changes["suppressed"].astype(bool)]
    c = c.dropna(subset=["mean_change"]).sort_values("mean_change")
    level = f"{round(conf_level * 100)}%"
    spread = ""
    if len(c):
        lo, hi = c.iloc[0], c.iloc[-1]
        spread = (f"mean change in {len(c)} partnership{'s' if len(c) != 1 else ''}, from "
                  f"{_num(lo['mean_change'], digits)} ({lo['name']}) to {_num(hi['mean_change'], digits)} ({hi['name']}); ")
        v = forest_verdicts(c, conf_level=conf_level, higher_is_better=higher_is_better)
        for verdict in ("improved", "declined", "no clear change"):
            names = sorted(str(n) for n in v.loc[v["verdict"] == verdict, "name"])
            if names:
                spread += f"{verdict_word(verdict)}: {', '.join(names)}; "
    pi = ""
    if pd.notna(pooled_row.get("pi_low")):
        pi = f"; prediction interval {_num(pooled_row['pi_low'], digits)} to {_num(pooled_row['pi_high'], digits)}"
        if prediction_cut((pooled_row["pi_low"], pooled_row["pi_high"]), possible):
            pi += (f", past the largest possible change ({_num(possible[0], digits)} to {_num(possible[1], digits)}): "
                   "too few partnerships to predict a new one's change")
    note = forest_withheld_note(changes, pooled_row, min_group_size)
    return (f"Forest plot of {pooled_row['label']}: {spread}pooled random-effects estimate "
            f"{_num(pooled_row['estimate'], digits)} ({level} CI {_num(pooled_row['ci_low'], digits)} to "
            f"{_num(pooled_row['ci_high'], digits)}{pi})." + (" " + note if note else ""))
