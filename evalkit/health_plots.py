"""Figures of the partnership-health sections, each with alternative text written from the same data.

Every function takes a table that has already been through :mod:`evalkit.privacy`
(suppressed values are blank) and draws only what that table shows: a blanked
value is not drawn, and the figure says how many were withheld. Figures are
drawn inside :func:`evalkit.figures.report_style`, so text from data (``$5``,
``50%_share``) is shown literally, never as mathtext.
"""
from __future__ import annotations

import textwrap

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator
import numpy as np
import pandas as pd

from evalkit.figures import legend_below, report_style, tight_layout, wrap_label, wrap_labels
from evalkit.plots import _empty, subplots
from evalkit.narrate import _num as narrate_number, format_date, singular_unit
from evalkit.partner_survey import ALL_ROLES
from evalkit.privacy import DEFAULT_MIN_GROUP_SIZE, n_protecting, protects, withheld_note

__all__ = ["plot_indicator_trends", "describe_indicator_trends", "plot_milestones", "describe_milestones",
           "plot_partner_survey", "describe_partner_survey", "plot_representation", "describe_representation"]

#: Colour of each milestone state: Okabe-Ito hues, darkened where needed so that every mark stands out from
#: the white ground at 3:1 or more (WCAG 1.4.11; Okabe-Ito's orange #E69F00 is 2.25:1, sky blue 2.31:1).
_COLORS = {"done on time": "#009E73", "done late": "#C07800", "overdue": "#D55E00", "not yet due": "#3A87C8",
           "dropped": "0.5", "done (date not recorded)": "#009E73"}
#: Colour and marker of each respondent role in the partners' check-in figure, in turn: roles differ by shape as
#: well as colour (WCAG 1.4.1), every colour at 3:1 or more on white. Past eight roles (the pooled line among them)
#: the styles repeat, in the same order.
_ROLE_STYLES = [("#0072B2", "o"), ("#C07800", "s"), ("#009E73", "^"), ("#CC79A7", "D"), ("0.3", "v"),
                ("#D55E00", "P"), ("#6A3D9A", "X"), ("#000000", "h")]


def _withheld_values(n: int, k: int) -> str:
    return (f"{n} value{'s' if n != 1 else ''} not shown: counts of fewer than {k} people, or a value that would "
            "reveal one by subtraction from the total.")


def _period_ticks(ax, periods: list, panel_width: float, **style) -> None:
    """Label the x axis of a panel ``panel_width`` inches wide with ``periods`` (at 0, 1, ...), turned 30 degrees.

    Up to six periods are all labelled. More are labelled every k-th from the first, k chosen so that labels
    about 0.8 in apart fit an axis about 1.1 in narrower than its panel (the y axis's labels take the rest):
    a date turned 30 degrees spans about 0.7 in, and 24 monthly dates printed over each other (trial 14). The
    points are all drawn; only their labels are thinned.
    """
    step = 1
    if len(periods) > 6:
        step = max(1, int(np.ceil(0.8 * (len(periods) - 1) / max(panel_width - 1.1, 0.5))))
    ax.set_xticks(range(0, len(periods), step), [str(p) for p in periods[::step]], rotation=30, ha="right", **style)


def _short(text, width=40) -> str:
    """A title or tick label of about ``width`` characters a line: wrapped onto two lines, cut only past them."""
    return wrap_label(text, width, lines=2)


def plot_indicator_trends(trend: pd.DataFrame, *, min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
                          columns: int | None = None):
    """One small line chart per indicator: its value at each period (:func:`evalkit.indicators.indicator_trend`).

    Suppressed values (counts of people under the minimum group size) are not
    drawn; the figure notes how many were withheld. ``columns`` is the number of charts a row (default two,
    one for a single indicator); a figure drawing one row of a section gives the section's number, so a
    last row of one chart keeps the others' width.

    Examples
    --------
    >>> import evalkit
    >>> from evalkit.indicators import indicator_trend
    >>> fig = plot_indicator_trends(indicator_trend(evalkit.load_data("data/sample"), "riverside-literacy"))
    >>> len(fig.axes)
    4
    """
    with report_style():
        if trend.empty:
            return _empty("No partnership indicators were recorded.")
        names = list(dict.fromkeys(trend["indicator"]))
        cols = columns or (2 if len(names) > 1 else 1)
        rows = int(np.ceil(len(names) / cols))
        withheld = int(trend["suppressed"].sum())
        band = 0.25 if withheld else 0.0   # the note's band, under the charts: not taken from their height
        fig, axes = subplots(rows, cols, figsize=(7.5, 2.3 * rows + 0.4 + band), squeeze=False)
        for ax, name in zip(axes.ravel(), names):
            d = trend[trend["indicator"] == name].sort_values("period_rank")
            x = np.arange(len(d))
            shown = d["value"].notna().to_numpy()
            ax.plot(x[shown], d["value"].to_numpy()[shown], "o-", color="#0072B2", lw=2)
            _period_ticks(ax, list(d["period"]), 7.5 / cols)
            unit = d["unit"].iloc[0]
            ax.set_title(_short(d["label"].iloc[0], 44), fontsize=10)
            ax.set_ylabel(str(unit) if isinstance(unit, str) else "")
            ax.set_ylim(bottom=0)
            values = d["value"].dropna().to_numpy(float)
            if len(values) and np.all(values == np.round(values)):  # counts: no "1.5 events" on the axis
                ax.yaxis.set_major_locator(MaxNLocator(integer=True))
            for side in ("top", "right"):
                ax.spines[side].set_visible(False)
        for ax in axes.ravel()[len(names):]:
            ax.axis("off")
        if withheld:
            fig.text(0.01, 0.0, _withheld_values(withheld, min_group_size), fontsize=9, ha="left", va="bottom")
        tight_layout(fig, rect=(0, band / fig.get_figheight(), 1, 1))
        return fig


def describe_indicator_trends(trend: pd.DataFrame, *, min_group_size: int = DEFAULT_MIN_GROUP_SIZE) -> str:
    """Alternative text for :func:`plot_indicator_trends`: each indicator's first and last shown value.

    Examples
    --------
    >>> t = pd.DataFrame({"indicator": ["h"] * 2, "label": ["Hours"] * 2, "unit": ["hours"] * 2, "period": ["q1", "q2"],
    ...                   "period_rank": [0, 1], "value": [10.0, 30.0], "suppressed": [False, False]})
    >>> describe_indicator_trends(t)
    'Line charts of partnership indicators by period: Hours from 10 hours (q1) to 30 hours (q2).'
    """
    if trend.empty:
        return "No partnership indicators were recorded."
    parts = []
    for name in dict.fromkeys(trend["indicator"]):
        rows = trend[trend["indicator"] == name]
        d = rows[rows["value"].notna()].sort_values("period_rank")
        # named by its label even when no value is shown (the chart's title), never by its id
        label = rows["label"].dropna().iloc[0] if rows["label"].notna().any() else name
        if d.empty:
            parts.append(f"{label}: no value shown")
            continue
        unit = d["unit"].iloc[0] if isinstance(d["unit"].iloc[0], str) else ""
        first, last = d.iloc[0], d.iloc[-1]
        def amount(v):   # "1 internship", "2 internships"
            return f"{v:,.0f} {singular_unit(unit) if unit and v == 1 else unit}"
        parts.append(f"{label} from {amount(first['value'])} ({first['period']}) to {amount(last['value'])} "
                     f"({last['period']})".replace("  ", " "))
    withheld = int(trend["suppressed"].sum())
    note = _withheld_values(withheld, min_group_size) if withheld else ""
    return "Line charts of partnership indicators by period: " + "; ".join(parts) + "." + (f" {note}" if note else "")


def plot_milestones(status: pd.DataFrame):
    """The action plan as a timeline: each milestone's due date (hollow) and done date (filled), coloured by state.

    A line joins the due and done dates of a late milestone, and the due date of
    an overdue milestone to the date it is judged at (dashed vertical line).

    Examples
    --------
    >>> import evalkit
    >>> from evalkit.indicators import milestone_status
    >>> s = milestone_status(evalkit.load_data("data/sample"), "riverside-literacy", as_of="2025-09-22")
    >>> fig = plot_milestones(s)
    """
    with report_style():
        if status.empty:
            return _empty("No action plan was recorded.")
        s = status.sort_values("due_date", kind="stable").reset_index(drop=True)
        names = wrap_labels(s["milestone"], 46, lines=2)   # two milestones never read alike
        tallest = max(name.count("\n") + 1 for name in names)   # a third line where two would read alike
        fig, ax = subplots(figsize=(7.5, (0.42 if tallest < 3 else 0.58) * len(s) + 1.4))
        y = np.arange(len(s))[::-1]
        as_of = pd.Timestamp(s["as_of"].iloc[0])
        for yi, (_, r) in zip(y, s.iterrows()):
            c = _COLORS.get(r["state"], "0.5")
            end = r["done_date"] if pd.notna(r["done_date"]) else (as_of if r["state"] == "overdue" else None)
            if end is not None and end != r["due_date"]:
                ax.plot([r["due_date"], end], [yi, yi], color=c, lw=2, ls="-" if pd.notna(r["done_date"]) else ":")
            ax.plot(r["due_date"], yi, "o", mfc="white", mec=c, mew=2, ms=8)
            if pd.notna(r["done_date"]):
                ax.plot(r["done_date"], yi, "o", color=c, ms=7)
        ax.axvline(as_of, color="0.3", ls="--", lw=1)
        ax.text(as_of, len(s) - 0.4, f" judged at {format_date(as_of, short=True)}", fontsize=9, va="bottom", ha="left")
        ax.set_yticks(y, names)
        ax.set_ylim(-0.7, len(s) + 0.3)
        handles = [plt.Line2D([], [], color="0.4", marker="o", mfc="white", lw=0, label="due"),
                   plt.Line2D([], [], color="0.4", marker="o", lw=0, label="done")]
        # drawn as on the chart: an overdue milestone's line is dotted (it and 'done late' are both orange)
        handles += [plt.Line2D([], [], color=_COLORS[k], lw=2.5, ls=":" if k == "overdue" else "-", label=k)
                    for k in _COLORS if k in set(s["state"])]
        # upright, concise dates ("Apr", "May", the year once) and the legend under them: no text over text
        locator = mdates.AutoDateLocator(minticks=3, maxticks=7)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        legend_below(fig, handles)
        for side in ("top", "right", "left"):
            ax.spines[side].set_visible(False)
        return fig


def describe_milestones(status: pd.DataFrame) -> str:
    """Alternative text for :func:`plot_milestones`: how many milestones in each state, overdue ones named.

    Examples
    --------
    >>> s = pd.DataFrame({"milestone": ["Launch", "Review"], "state": ["done on time", "overdue"],
    ...                   "due_date": pd.to_datetime(["2025-01-01", "2025-02-01"])})
    >>> describe_milestones(s)
    'Timeline of 2 milestones, due date against done date: 1 done on time, 1 overdue (Review).'
    """
    if status.empty:
        return "No action plan was recorded."
    counts = status["state"].value_counts()
    parts = [f"{counts[k]} {k}" for k in _COLORS if k in counts]
    overdue = status.loc[status["state"] == "overdue", "milestone"].tolist()
    tail = f" ({'; '.join(overdue)})" if overdue else ""
    return (f"Timeline of {len(status)} milestones, due date against done date: " + ", ".join(parts)
            + tail + ".")


def plot_partner_survey(summary: pd.DataFrame, *, min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
                        columns: int | None = None, roles: list | None = None):
    """Each partner-survey item's mean at each check-in, one line per respondent role.

    Takes :func:`evalkit.partner_survey.partner_survey_summary` (one partnership);
    suppressed means are not drawn and are counted in a note, under the legend. ``columns`` is the
    number of panels a row (default up to three); ``roles`` the respondent roles in the order that gives
    each its colour and marker (default: as ``summary`` names them). A figure drawing one row of a
    section gives the section's, so a role and a panel look the same in every row.

    Examples
    --------
    >>> import evalkit
    >>> from evalkit.partner_survey import partner_survey_summary
    >>> fig = plot_partner_survey(partner_survey_summary(evalkit.load_data("data/sample"), "riverside-literacy"))
    """
    with report_style():
        if summary.empty:
            return _empty("The partners' check-in survey was not recorded.")
        items = list(dict.fromkeys(summary["item"]))
        cols = columns or min(3, len(items))
        rows = int(np.ceil(len(items) / cols))
        withheld = int(summary["suppressed"].sum())
        shown_roles = set(summary["respondent_role"])
        ncol = min(4, len(shown_roles))   # the legend in rows of at most four roles, clear of the figure's edges
        # inches under the panels: the legend's rows, and the note under them
        foot = 0.1 + 0.25 * int(np.ceil(len(shown_roles) / ncol)) + (0.25 if withheld else 0)
        height = 2.2 * rows + 0.45 + foot
        fig, axes = subplots(rows, cols, figsize=(7.5, height), squeeze=False, sharey=True)
        styled = list(dict.fromkeys([*(roles or []), *summary["respondent_role"]]))
        palette = {role: _ROLE_STYLES[i % len(_ROLE_STYLES)][0] for i, role in enumerate(styled)}
        markers = {role: _ROLE_STYLES[i % len(_ROLE_STYLES)][1] for i, role in enumerate(styled)}
        roles = [r for r in styled if r in shown_roles]
        lo, hi = float(summary["scale_min"].min()), float(summary["scale_max"].max())
        periods = summary.drop_duplicates("period").sort_values("period_rank")["period"].tolist()
        for ax, item in zip(axes.ravel(), items):
            d = summary[summary["item"] == item]
            for role in roles:
                r = d[(d["respondent_role"] == role) & d["mean"].notna()].sort_values("period_rank")
                if len(r):
                    ax.plot(r["period_rank"], r["mean"], "-", marker=markers[role], color=palette[role],
                            lw=1 if role == ALL_ROLES else 2, label=role)
            ax.set_title(_short(d["label"].iloc[0], 34), fontsize=9, pad=8)   # clear of the top tick label
            _period_ticks(ax, periods, 7.5 / cols, fontsize=9)
            ax.set_ylim(lo, hi)
            for side in ("top", "right"):
                ax.spines[side].set_visible(False)
        for ax in axes.ravel()[len(items):]:
            ax.axis("off")
        handles = [plt.Line2D([], [], color=palette[r], marker=markers[r], label=r) for r in roles]
        note = 0.25 if withheld else 0.0
        fig.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, note / height), ncol=ncol,
                   frameon=False)
        if withheld:   # small or protecting, the roles left out get one reason (privacy, rule 2)
            guard = n_protecting(summary)
            fig.text(0.01, 0.02 / height, withheld_note(withheld, "means", min_group_size, protected=guard),
                     fontsize=9, va="bottom")
        tight_layout(fig, rect=(0, foot / height, 1, 1))
        return fig


def describe_partner_survey(summary: pd.DataFrame, *, min_group_size: int = DEFAULT_MIN_GROUP_SIZE) -> str:
    """Alternative text for :func:`plot_partner_survey`: each item's pooled mean at the first and last check-in.

    Examples
    --------
    >>> s = pd.DataFrame({"item": ["trust"] * 2, "label": ["Trust"] * 2, "respondent_role": ["all respondents"] * 2,
    ...                   "period": ["p1", "p2"], "period_rank": [0, 1], "mean": [3.0, 3.5], "suppressed": [False] * 2,
    ...                   "scale_min": [1.0] * 2, "scale_max": [5.0] * 2})
    >>> print(describe_partner_survey(s))
    Line charts of the partners' check-in ratings (1 to 5) by period: Trust from 3.0 (p1) to 3.5 (p2).
    """
    if summary.empty:
        return "The partners' check-in survey was not recorded."
    pooled = summary[(summary["respondent_role"] == "all respondents") & summary["mean"].notna()]
    parts = []
    for item in dict.fromkeys(summary["item"]):
        d = pooled[pooled["item"] == item].sort_values("period_rank")
        label = summary.loc[summary["item"] == item, "label"].iloc[0]
        if d.empty:
            parts.append(f"{label}: not shown")
        else:
            parts.append(f"{label} from {narrate_number(d['mean'].iloc[0], 1)} ({d['period'].iloc[0]}) to {narrate_number(d['mean'].iloc[-1], 1)} "
                         f"({d['period'].iloc[-1]})")
    scale = f"{summary['scale_min'].min():g} to {summary['scale_max'].max():g}"
    note = withheld_note(int(summary["suppressed"].sum()), "means", min_group_size,
                         protected=n_protecting(summary))
    return (f"Line charts of the partners' check-in ratings ({scale}) by period: " + "; ".join(parts) + "."
            + (f" {note}" if note else ""))


def plot_representation(gaps: pd.DataFrame, *, conf_level: float = 0.95):
    """Representation ratio (participants' share / community's share) per group with its interval.

    A ratio of 1 (the dashed line) means the group is as present among
    participants as in the community; under-represented groups are drawn in
    orange. Suppressed groups are not drawn.

    Examples
    --------
    >>> import evalkit
    >>> from evalkit.community import representation_gap
    >>> fig = plot_representation(representation_gap(evalkit.load_data("data/sample"), "riverside-literacy"))
    """
    with report_style():
        g = gaps[gaps["ratio"].notna()]
        if g.empty:
            return _empty("No group can be compared with the community.")
        fig, ax = subplots(figsize=(7.5, 0.38 * len(g) + 1.3))
        y = np.arange(len(g))[::-1]
        for yi, (_, r) in zip(y, g.iterrows()):
            c = "#D55E00" if r["verdict"] == "under-represented" else "#0072B2" if r["verdict"] == "over-represented" \
                else "0.45"
            ax.plot([r["ratio_ci_low"], r["ratio_ci_high"]], [yi, yi], color=c, lw=2.5)
            ax.plot(r["ratio"], yi, "o", color=c, ms=7)
        ax.axvline(1, color="0.3", ls="--", lw=1)
        groups = wrap_labels(g["group"], 28, lines=2)   # two groups never read alike
        ax.set_yticks(y, [f"{c.replace('_', ' ')}: {group}" for c, group in zip(g["characteristic"], groups)])
        ax.set_xlabel(f"Participants' share / community's share ({round(conf_level * 100)}% CI)")
        handles = [plt.Line2D([], [], color=c, lw=2.5, marker="o", label=k) for k, c in
                   (("under-represented", "#D55E00"), ("in line", "0.45"), ("over-represented", "#0072B2"))
                   if k in set(g["verdict"])]
        legend_below(fig, handles)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        note = _not_drawn_note(gaps)
        if note:   # wrapped: on one line it ran past the axes and the crop grew the figure to 10.8 in (trial 11)
            ax.set_title(textwrap.fill(note, 60), fontsize=9, loc="left")
        return fig


def _not_drawn_note(gaps: pd.DataFrame) -> str:
    """How many groups :func:`plot_representation` leaves out, and why ("" for none): small or protecting, one
    reason (privacy, rule 2): which is which is not said."""
    hidden = gaps["ratio"].isna().to_numpy(bool)
    if not hidden.any():
        return ""
    guard = hidden & np.array([protects(n) for n in gaps.get("note", pd.Series([""] * len(gaps)))], dtype=bool)
    n = int(hidden.sum())
    return (f"{n} group{'s' if n != 1 else ''} not drawn: too few participants to show"
            + (", or left out with one so that it cannot be worked out by subtraction." if guard.any() else "."))


def describe_representation(gaps: pd.DataFrame) -> str:
    """Alternative text for :func:`plot_representation`: the under- and over-represented groups with their
    ratios, then the figure's note on groups not drawn.

    Examples
    --------
    >>> g = pd.DataFrame({"characteristic": ["race"], "group": ["A"], "ratio": [0.5], "ratio_ci_low": [0.3],
    ...                   "ratio_ci_high": [0.8], "verdict": ["under-represented"]})
    >>> describe_representation(g).split(": ", 1)[1]
    'under-represented: race A (0.50, 95% CI 0.30 to 0.80); no group is over-represented.'
    """
    g = gaps[gaps["ratio"].notna()]
    if g.empty:
        return "No group can be compared with the community."
    said = []
    for verdict in ("under-represented", "over-represented"):   # as the figure colours them (trial 13)
        listed = ", ".join(f"{r['characteristic']} {r['group']} ({r['ratio']:.2f}, 95% CI {r['ratio_ci_low']:.2f} "
                           f"to {r['ratio_ci_high']:.2f})" for _, r in g[g["verdict"] == verdict].iterrows())
        said.append(f"{verdict}: {listed}" if listed else f"no group is {verdict}")
    note = _not_drawn_note(gaps)
    return (f"Representation ratios of {len(g)} group{'s' if len(g) != 1 else ''}: " + "; ".join(said) + "."
            + (f" {note}" if note else ""))
