"""Figures for reports and notebooks (seaborn on matplotlib).

Each function returns a :class:`matplotlib.figure.Figure` and draws groups,
never individuals: distributions are summarised (box plots, stacked shares)
and measures with fewer matched participants than the minimum group size are
left out with a note on the figure.
"""
from __future__ import annotations

import textwrap

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from evalkit.compare import check_data, known_values, scored_if_asked
from evalkit.errors import InputError
from evalkit.figures import (MESSAGE_LABEL, change_axis, change_withheld_note, check_one_change_family,
                             display_width, distribution_panels, forest_verdicts, forest_withheld_note, legend_below,
                             prediction_cut, tight_layout, wrap_label, wrap_labels, wrap_title)
from evalkit.labels import wave_label
from evalkit.narrate import verdict_word
from evalkit.participation import check_wave_spelling
from evalkit.privacy import DEFAULT_MIN_GROUP_SIZE, n_protecting, withheld_note

PALETTE = "colorblind"
#: Colour of each verdict (a change that could be chance is grey whatever its sign).
VERDICT_COLORS = {"Improved": sns.color_palette(PALETTE)[2], "Declined": sns.color_palette(PALETTE)[3],
                  "No clear change": "0.55"}
#: Marker of each verdict: the verdict is told by shape as well as colour (WCAG 1.4.1; the green and the
#: grey are equally light, one colour in greyscale print or without colour vision). Diamond and cross, not
#: arrows: a measure where lower is better improves by going down.
VERDICT_MARKERS = {"Improved": "D", "Declined": "X", "No clear change": "o", "No change": "o"}
WAVE_COLORS = dict(zip(["pre", "post"], sns.color_palette(PALETTE, 2)))
#: Panels a row of :func:`plot_distributions` holds (a report draws each row as a figure of its own).
PANELS_A_ROW = 3


class NotebookFigure(mpl.figure.Figure):
    """A matplotlib figure that Jupyter shows once, however the cell that draws it is written.

    With the inline backend, pyplot shows every figure it holds when the cell ends, and a
    figure that is also the cell's last value used to be shown a second time, first, by the
    display hook. Whenever this figure is displayed (by the display hook, ``display(fig)`` or
    pyplot's own end-of-cell display), it is shown through the shell's formatters and, if
    pyplot holds it in interactive mode with the inline backend, released from pyplot, which
    would otherwise show it again. Every evalkit plotting function draws through
    :func:`subplots` or :func:`figure`, which make one.
    """

    def _ipython_display_(self):
        from IPython.core.getipython import get_ipython
        from IPython.display import publish_display_data
        from matplotlib._pylab_helpers import Gcf

        shell = get_ipython()
        if shell is None:
            return
        data, metadata = {}, {}
        for mime, formatter in shell.display_formatter.formatters.items():
            out = formatter(self) if formatter.enabled else None
            if isinstance(out, tuple):
                out, metadata[mime] = out
            if out is not None:
                data[mime] = out
        publish_display_data(data, metadata)
        held = any(manager.canvas.figure is self for manager in Gcf.get_all_fig_managers())
        if held and mpl.is_interactive() and "inline" in mpl.get_backend():
            plt.close(self)  # shown: pyplot must not show it again when the cell ends


def subplots(*args, **kwargs):
    """:func:`matplotlib.pyplot.subplots`, making a :class:`NotebookFigure` (shown once in Jupyter)."""
    return plt.subplots(*args, FigureClass=NotebookFigure, **kwargs)


def figure(**kwargs):
    """:func:`matplotlib.pyplot.figure`, making a :class:`NotebookFigure` (shown once in Jupyter)."""
    return plt.figure(FigureClass=NotebookFigure, **kwargs)


def _empty(message: str, figsize=(7, 1.2)):
    """A figure that only says ``message``; a report shows it as text (:func:`evalkit.figures.figure_message`)."""
    fig, ax = subplots(figsize=figsize)
    fig.set_label(MESSAGE_LABEL)
    ax.axis("off")
    ax.text(0.5, 0.5, message, ha="center", va="center", wrap=True, usetex=False, parse_math=False)
    return fig


def plot_change(table: pd.DataFrame, *, conf_level: float = 0.95, title: str | None = None,
                min_group_size: int | None = None, label_lines: int = 2):
    """Mean change per measure with its confidence interval, as a share of each scale's range.

    Measures use different scales (1-5, 0-20, yes/no), so the change is drawn as
    percent of the scale's range (a change of 1 point on a 1-5 scale is 25%),
    which puts them on one axis. When a measure declares no scale bounds (a
    continuous measure may leave them blank), there is no range, so every
    measure is drawn as standardised change instead: the mean change and its
    interval divided by the SD at the first wave (baseline SDs). Improvements
    are drawn in one colour and declines in another, taking ``higher_is_better``
    into account, and only when chance is ruled out (the ``verdict`` column of
    :func:`evalkit.compare_prepost`); a change that could be chance is drawn in
    a neutral grey whatever its sign.

    Measures whose row is suppressed are not drawn; a note under the plot says
    how many (:func:`evalkit.figures.change_withheld_note`, the sentence the alt
    text :func:`evalkit.figures.describe_change` ends with).

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`evalkit.compare_prepost` for one partnership and one group
        (without ``by``, or the rows of one group).
    min_group_size : int, optional
        The minimum group size the table was suppressed at, for the note; default:
        the one its suppression notes state.
    label_lines : int
        Lines a measure's label may take (:func:`evalkit.figures.wrap_labels`: shortened in the
        middle past them, the scale's anchors kept; labels that would read alike get more).

    Raises
    ------
    evalkit.errors.InputError
        If the table holds several partnerships or groups: each measure would be drawn
        once per partnership or group, with nothing to tell the rows apart.
    """
    check_one_change_family(table, "plot_change")
    axis = change_axis(table, conf_level)
    note = " ".join(n for n in (change_withheld_note(table, min_group_size=min_group_size), axis.note()) if n)
    t, standardised = axis.table, axis.standardised
    if t.empty:
        return _empty(" ".join(s for s in ("No measure had enough matched participants to show a change.",
                                           axis.note()) if s))
    t["Direction"] = (t["verdict"] if "verdict" in t.columns else t["direction"]).str.capitalize()
    t = t.sort_values("mean_change_pct")
    fig, ax = subplots(figsize=(7.5, 0.55 * len(t) + 1.4))
    colors = {**VERDICT_COLORS, "No change": "0.55"}
    y = np.arange(len(t))
    ax.axvline(0, color="0.3", lw=1)
    for yi, (_, r) in zip(y, t.iterrows()):
        c = colors.get(r["Direction"], "0.5")
        if np.isfinite(r["ci_low_pct"]):
            ax.plot([r["ci_low_pct"], r["ci_high_pct"]], [yi, yi], color=c, lw=2.5, solid_capstyle="round")
        ax.plot(r["mean_change_pct"], yi, VERDICT_MARKERS.get(r["Direction"], "o"), color=c, ms=8)
    ax.set_yticks(y, wrap_labels(t["label"], 40 if label_lines > 1 else 46, label_lines))   # the anchors kept
    ax.set_ylim(-0.35, len(t) - 0.65)   # a third of a row past the first and last: no row on the axis line
    ax.set_xlabel(f"Mean change in baseline SDs ({round(conf_level * 100)}% CI / baseline SD)" if standardised
                  else f"Mean change, % of the scale's range ({round(conf_level * 100)}% CI)")
    handles = [plt.Line2D([], [], color=c, marker=VERDICT_MARKERS[k], ms=8, lw=2.5,
                          label=verdict_word(k.lower()).capitalize())
               for k, c in colors.items() if k in set(t["Direction"])]
    if note:   # under the axis label, in the axes' layout box: the legend goes under it, clear of it
        ax.annotate(note, xy=(0, 0), xycoords=(ax.transAxes, ax.xaxis.label), xytext=(0, -4),
                    textcoords="offset points", ha="left", va="top", fontsize=9, color="0.3", annotation_clip=False)
    legend_below(fig, handles)   # laid out when drawn: the at-a-glance card resizes the figure
    ax.set_title(title or "Change from pre to post")
    sns.despine(ax=ax, left=True)
    return fig


def plot_distributions(data, partnership_id: str, measures=None, *, pre: str = "pre", post: str = "post",
                       min_group_size: int = DEFAULT_MIN_GROUP_SIZE):
    """Pre and post distributions of matched participants, one panel per measure.

    Ordinal and binary measures are drawn as stacked shares of each response
    option (so ties and ceiling effects show); continuous measures as box plots
    (median and quartiles, whiskers at the 10th and 90th percentiles, no outlier
    points: a point, or a whisker ending at the most extreme score, would draw
    one participant's own answer).
    Only participants who answered both waves are drawn, so the two bars or
    boxes describe the same people. Measures with fewer than ``min_group_size``
    of them are not drawn; a note under the panels says how many
    (:func:`evalkit.figures.distribution_panels`, as the alt text
    :func:`evalkit.figures.describe_distributions` does).
    """
    data = scored_if_asked(data, measures)  # a scale asked for by name ("teamwork"): its score
    pairs, shown, note = distribution_panels(data, partnership_id, measures, pre=pre, post=post,
                                             min_group_size=min_group_size)
    meta = data.measures.set_index("measure")
    if not shown:
        return _empty("Too few matched participants to show distributions.")
    ncol = min(PANELS_A_ROW, len(shown))
    nrow = int(np.ceil(len(shown) / ncol))
    fig = figure(figsize=(2.55 * ncol, 2.6 * nrow))
    axes = [fig.add_subplot(nrow, ncol, i + 1) for i in range(len(shown))]  # no empty panels to make and hide
    for ax, m in zip(axes, shown):
        p = pairs[pairs["measure"] == m]
        kind = meta.at[m, "kind"]
        if kind == "continuous":
            # matplotlib's own box plot (seaborn's adds a data-frame layer: about 25 ms a panel)
            # no outlier points, and whiskers at the 10th and 90th percentiles, not at the most extreme score
            # within 1.5 IQR: either would draw one participant's own answer (evalkit.privacy: no row-level data)
            boxes = ax.boxplot([p["pre"].to_numpy(float), p["post"].to_numpy(float)], positions=[0, 1], widths=0.5,
                               patch_artist=True, medianprops={"color": "0.25"}, whiskerprops={"color": "0.25"},
                               capprops={"color": "0.25"}, showfliers=False, whis=(10, 90))
            for box, wave in zip(boxes["boxes"], ("pre", "post")):
                box.set(facecolor=WAVE_COLORS[wave], edgecolor="0.25")
            ax.set_xlim(-0.6, 1.6)
            if np.isfinite([meta.at[m, "scale_min"], meta.at[m, "scale_max"]]).all():  # bounds are optional here
                ax.set_ylim(meta.at[m, "scale_min"], meta.at[m, "scale_max"])
            ax.set_ylabel("score")
        else:
            lo, hi = int(meta.at[m, "scale_min"]), int(meta.at[m, "scale_max"])
            levels = list(range(lo, hi + 1))
            long = p.melt(value_vars=["pre", "post"], var_name="wave", value_name="value")
            share = (pd.crosstab(long["wave"], long["value"].round().astype(int), normalize="index")
                     .reindex(index=["pre", "post"], columns=levels, fill_value=0) * 100)
            colors = sns.color_palette("RdYlBu" if meta.at[m, "higher_is_better"] else "RdYlBu_r", len(levels))
            bottom = np.zeros(2)
            for level, color in zip(levels, colors):
                # outlined: the palette's middle is about 1.1:1 on white and on its neighbours (WCAG 1.4.11)
                ax.bar(["pre", "post"], share[level], bottom=bottom, color=color, width=0.6, edgecolor="0.35",
                       linewidth=0.6, label=("yes" if level else "no") if kind == "binary" else str(level))
                bottom += share[level].to_numpy()
            ax.set_ylabel("% of participants")
            ax.set_ylim(0, 100)
            ax.legend(title=None, fontsize=9, frameon=False, loc="upper left", bbox_to_anchor=(1, 1), handlelength=1,
                      handletextpad=0.4, borderaxespad=0.2)
        ax.set_xticks([0, 1], [str(pre), str(post)], parse_math=False)  # the data's wave names (e.g. baseline)
        ax.set_title(_panel_title(meta.at[m, "label"], len(p)), fontsize=9, pad=8)   # clear of the top tick label
        ax.set_xlabel("")
    sns.despine(fig)
    tight_layout(fig)
    if note:   # a band under the panels (about 14 characters of 9-pt type to the inch), clear of their ticks
        width, height = fig.get_size_inches()
        lines = textwrap.wrap(note, max(24, int(14 * width)))
        band = 0.2 * len(lines) + 0.1
        # added to the figure, not taken from the panels: a report's last row of panels stays as high as the rows
        # above it (trial 13: a fifth shorter, on other tick steps)
        bottom, top = fig.subplotpars.bottom, fig.subplotpars.top
        fig.set_size_inches(width, height + band)
        fig.subplots_adjust(bottom=(bottom * height + band) / (height + band),
                            top=(top * height + band) / (height + band))
        fig.text(0.02, 0.06 / (height + band), "\n".join(lines), ha="left", va="bottom", fontsize=9, color="0.3")
    return fig


def _panel_title(label, n: int, width: int = 28) -> str:
    """A distribution panel's title: its label wrapped at ``width`` characters, on at most three lines (a longer
    one, such as a survey question's whole text, cut in the middle by :func:`wrap_label`, its anchors kept; the
    alt text has it whole), then "(n = ...)" kept whole, on the last line when it fits there ("month (0 no, 1
    yes) (n =" above "210)" read badly)."""
    lines = wrap_title(label, width).split("\n")
    count = f"(n = {n})"
    if display_width(lines[-1]) + 1 + len(count) <= width:
        lines[-1] += " " + count
    else:
        lines.append(count)
    return "\n".join(lines)


def _check_columns(table, columns, func: str, source: str) -> None:
    """InputError unless ``table`` is a DataFrame with ``columns``, naming those missing and where it comes from."""
    missing = list(columns) if not isinstance(table, pd.DataFrame) else [c for c in columns if c not in table.columns]
    if missing:
        raise InputError(f"{func} draws a table from {source}; this one is missing the columns {missing}")


def plot_attendance(session_table: pd.DataFrame, *, min_group_size: int = DEFAULT_MIN_GROUP_SIZE):
    """Attendance rate per session over time, from :func:`evalkit.participation.session_attendance`.

    Sessions whose rate was withheld (fewer than ``min_group_size`` attenders, see
    :mod:`evalkit.privacy`) are not drawn; the figure says how many were left out.
    """
    _check_columns(session_table, ("date", "rate"), "plot_attendance",
                   "evalkit.participation.session_attendance(data, partnership_id)")
    t = session_table.dropna(subset=["rate"])
    if t.empty:
        return _empty("Attendance was not recorded, or every session had too few attenders to show.")
    fig, ax = subplots(figsize=(7.5, 3))
    ax.plot(t["date"], t["rate"] * 100, marker="o", color=sns.color_palette(PALETTE)[0])
    ax.set_ylim(0, 100)
    ax.set_ylabel("% of participants attending")
    ax.set_xlabel("")
    ax.set_title("Attendance by session")
    fig.autofmt_xdate()
    sns.despine(fig)
    tight_layout(fig)
    guard = n_protecting(session_table, session_table["rate"].isna())
    note = withheld_note(len(session_table) - len(t), "sessions", min_group_size, protected=guard)
    if note:
        fig.subplots_adjust(bottom=fig.subplotpars.bottom + 0.08)
        fig.text(0.01, 0.01, note, fontsize=9)
    return fig


def plot_response_shares(data, partnership_id: str, measure: str, wave: str = "post",
                         min_group_size: int = DEFAULT_MIN_GROUP_SIZE):
    """Share of each response option for one measure at one wave (e.g. satisfaction at post)."""
    check_data(data)
    known_values(partnership_id, data.partnerships["partnership_id"], "partnership_id")
    known_values(measure, data.measures["measure"], "measure")
    check_wave_spelling(data, wave)
    r = data.responses
    x = r.loc[(r["partnership_id"] == partnership_id) & (r["measure"] == measure) & (r["wave"] == wave), "value"].dropna()
    m = data.measures.set_index("measure").loc[measure]
    if len(x) < min_group_size:
        return _empty(f"Too few responses to show {m['label']}.")
    levels = list(range(int(m["scale_min"]), int(m["scale_max"]) + 1))
    share = x.round().astype(int).value_counts(normalize=True).reindex(levels, fill_value=0) * 100
    fig, ax = subplots(figsize=(6, 2.8))
    sns.barplot(x=[str(v) for v in levels], y=share.to_numpy(), color=sns.color_palette(PALETTE)[0], ax=ax)
    ax.set_xlabel(f"Answer ({m['scale_min']:.0f} = lowest, {m['scale_max']:.0f} = highest)")  # the title names the measure
    ax.set_ylabel("% of respondents")
    ax.set_title(f"{m['label']} at {wave_label(wave)} (n = {len(x)})")
    sns.despine(fig)
    tight_layout(fig)
    return fig


def _interval(estimate, se, df, conf_level: float):
    """``estimate +/- q se`` at ``conf_level``: q from t with ``df`` where df is finite, else the normal."""
    from scipy import stats

    estimate, se = np.asarray(estimate, float), np.asarray(se, float)
    df = np.broadcast_to(np.asarray(np.nan if df is None else df, float), estimate.shape)
    tail = 0.5 + conf_level / 2
    q = np.where(np.isfinite(df) & (df > 0), stats.t.ppf(tail, np.where(df > 0, df, 1.0)), stats.norm.ppf(tail))
    return estimate - q * se, estimate + q * se


def plot_forest(changes: pd.DataFrame, pooled_row, *, conf_level: float = 0.95, higher_is_better: bool = True,
                possible: tuple[float, float] | None = None, min_group_size: int | None = None):
    """Forest plot of one shared indicator: each partnership's change and the pooled estimate.

    Every interval is drawn at ``conf_level``: each partnership's from its ``se``
    (t with its ``df``, as its report; the normal where no df is given), the
    pooled diamond from the pooled ``se`` (normal, as the meta-analysis), and the
    dotted prediction interval from t with the pooled row's ``pi_df`` = k - 2 df.
    Each partnership's interval is coloured by its verdict as :func:`plot_change`
    colours outcomes: improved or declined (``higher_is_better`` says which) only
    when the interval excludes no change, else neutral grey
    (:func:`evalkit.figures.forest_verdicts`).

    Parameters
    ----------
    changes : pandas.DataFrame
        :func:`evalkit.portfolio.shared_indicator_changes` output.
    pooled_row : pandas.Series
        The indicator's row of :func:`evalkit.portfolio.pooled_changes`.
    possible : (float, float), optional
        The least and the largest change the indicator can take (on a 1-5 scale, -4 and 4; in a share, -100 and
        100 percentage points). A prediction interval reaching past them (from few partnerships, t on k - 2 df
        is wide) does not set the axis, which spans the partnerships, the pooled interval and 0: the dotted
        line runs off it, with an arrow at each cut end, and its legend entry says so (the alt text gives the
        interval in numbers).
    min_group_size : int, optional
        The minimum group size the changes were suppressed at: the figure says how many partnerships it
        leaves out for it (:func:`evalkit.figures.forest_withheld_note`).

    A partnership takes 0.26 in, less (down to 0.17 in, 9-pt names and a gap) from 27 partnerships on, so that
    a forest of up to 40 prints on one page at its drawn size.
    """
    from scipy import stats

    _check_columns(changes, ("measure", "mean_change", "suppressed"), "plot_forest",
                   "evalkit.portfolio.shared_indicator_changes(data), or PortfolioReport.changes")
    c = changes[(changes["measure"] == pooled_row["measure"]) & ~changes["suppressed"]].sort_values("mean_change")
    per = max(0.17, min(0.26, (8.5 - 1.6) / max(len(c), 1)))   # two of 12 partnerships fit a printed page
    fig, ax = subplots(figsize=(7.5, per * len(c) + 1.6))
    y = np.arange(len(c)) + 1
    v = forest_verdicts(c, conf_level=conf_level, higher_is_better=higher_is_better)
    colors = {k.lower(): c_ for k, c_ in VERDICT_COLORS.items()}
    each = [colors[x] for x in v["verdict"]]
    bars = ax.errorbar(c["mean_change"], y, xerr=[c["mean_change"] - v["ci_low"], v["ci_high"] - c["mean_change"]],
                       fmt="none", capsize=0, lw=1.5)
    bars[2][0].set_color(each)
    markers = {k.lower(): m for k, m in VERDICT_MARKERS.items()}
    for verdict in dict.fromkeys(v["verdict"]):
        mine = (v["verdict"] == verdict).to_numpy()
        ax.scatter(c["mean_change"].to_numpy()[mine], y[mine], marker=markers[verdict], s=24,
                   color=colors[verdict], zorder=3)
    handles = [plt.Line2D([], [], color=col, marker=VERDICT_MARKERS[k], lw=1.5,
                          label=verdict_word(k.lower()).capitalize())
               for k, col in VERDICT_COLORS.items() if k.lower() in set(v["verdict"])]
    est = pooled_row["estimate"]
    se = pooled_row.get("se", np.nan)
    if pd.notna(se):
        lo, hi = _interval(est, se, None, conf_level)
    else:  # a pooled row without its se: its own interval
        lo, hi = pooled_row["ci_low"], pooled_row["ci_high"]
    ax.fill([lo, est, hi, est], [0, 0.3, 0, -0.3], color="0.2")
    pi_df, tau2 = pooled_row.get("pi_df", np.nan), pooled_row.get("tau2", np.nan)
    if pd.notna(se) and pd.notna(pi_df) and pd.notna(tau2):
        half = stats.t.ppf(0.5 + conf_level / 2, pi_df) * np.sqrt(se**2 + tau2)
        pi = (est - half, est + half)
    else:
        pi = (pooled_row.get("pi_low", np.nan), pooled_row.get("pi_high", np.nan))
    cut = prediction_cut(pi, possible)
    drawn = pi
    if cut:   # the axis spans the partnerships, the pooled interval and 0; the interval runs off it, arrowed
        ends = [np.nanmin(v["ci_low"]), np.nanmax(v["ci_high"]), lo, hi, 0.0]
        margin = 0.08 * (max(ends) - min(ends) or 1.0)
        edges = (min(ends) - margin, max(ends) + margin)
        drawn = (max(pi[0], edges[0]), min(pi[1], edges[1]))
        for end, arrow in ((0, "<"), (1, ">")):
            if drawn[end] != pi[end]:
                ax.plot(drawn[end], 0, marker=arrow, color="0.2", ms=6)
        ax.set_xlim(*edges)
    ax.plot(list(drawn), [0, 0], color="0.2", lw=1, ls=":")
    if np.isfinite(pi).all():   # what the dotted line is (trial 13: in no legend or caption)
        handles.append(plt.Line2D([], [], color="0.2", lw=1, ls=":",
                                  label=f"{round(conf_level * 100)}% prediction interval"
                                  + (",\nruns off the axis: past any\npossible change" if cut else "")))
    handles.insert(0, plt.Line2D([], [], color="0.2", marker="D", ls="none", ms=8,
                                 label=f"Pooled ({round(conf_level * 100)}% CI)"))
    ax.axvline(0, color="0.5", lw=0.8)
    ax.xaxis.set_major_locator(mpl.ticker.MaxNLocator(6))   # "-0.75-0.50-0.25" ran together (trial 13)
    ax.set_yticks([0, *y], ["Pooled (random effects)", *wrap_labels(c["name"], 40, lines=1)])   # never two alike
    ax.set_xlabel(f"Mean change, post - pre ({round(conf_level * 100)}% CI)")
    note = forest_withheld_note(changes, pooled_row, min_group_size)
    if note:   # under the axis label, in the axes' layout box (privacy, rule 4)
        ax.annotate(note, xy=(0, 0), xycoords=(ax.transAxes, ax.xaxis.label), xytext=(0, -4),
                    textcoords="offset points", ha="left", va="top", fontsize=9, color="0.3", annotation_clip=False)
    ax.set_title(wrap_label(pooled_row["label"], 70), fontsize=10)
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=9)
    sns.despine(ax=ax, left=True)
    tight_layout(fig)
    return fig
