"""Page one of a partnership report: the story a partner director reads in two minutes.

Everything here turns analysis tables (from :func:`evalkit.compare_prepost` and
:mod:`evalkit.equity`) into sentences, in order of importance: what the
partnership did, the overall verdict, the verdict per outcome, what the study
could have detected, targets met, the equity finding, and the caution that
applies. Verdicts respect chance: an outcome *improved* or *worsened* only when
:func:`evalkit.compare_prepost` says so (its interval excludes no change and its
multiplicity-adjusted test is significant); otherwise there was *no clear
change*, and the report says how large a change the study could have detected.
"""
from __future__ import annotations

import html
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalkit.card import INDEX_CARD_MIMETYPE  # the batch reads the card by it (and leaves it off the page)
from evalkit.narrate import _bounded, _num, format_change, format_p, interval_words, md_escape

#: Power at which the smallest detectable change is stated.
POWER = 0.8

_WORDS = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
          "eleven", "twelve"]


def number_word(n: int) -> str:
    """``7`` -> ``"seven"`` up to twelve, digits above (style guides spell out small counts)."""
    return _WORDS[n] if 0 <= n < len(_WORDS) else str(n)


def detectable_dz(n_pairs: float, *, alpha: float = 0.05, power: float = POWER) -> float:
    """Smallest standardised change d_z a paired t-test on ``n_pairs`` detects with ``power``.

    Parameters
    ----------
    n_pairs : float
        Participants who answered both surveys (at least 2).
    alpha : float
        Two-sided significance level of the test.
    power : float
        Probability of detecting a change of that size.

    Returns
    -------
    float
        The minimum detectable effect d_z = mean change / SD of the changes, from the
        noncentral t distribution with n - 1 df (as R's ``power.t.test(type = "paired")``
        and statsmodels' ``TTestPower``), two-sided. NaN when ``n_pairs < 2``.

    Notes
    -----
    The level is the unadjusted ``alpha`` of one outcome: the familiar planning
    convention. With the Holm correction across several outcomes, the first
    outcome is tested at alpha / k, so the detectable change for a report as a
    whole is somewhat larger than this.

    Examples
    --------
    >>> round(detectable_dz(34), 3)
    0.495
    """
    from evalkit.stats import minimum_detectable_effect

    if n_pairs is None or not np.isfinite(n_pairs) or n_pairs < 2:
        return math.nan
    return minimum_detectable_effect(float(n_pairs), alpha=alpha, power=power)


def _reported(table: pd.DataFrame) -> pd.DataFrame:
    return table[~table["suppressed"].astype(bool) & table["mean_change"].notna()]


def _standardised(row) -> float:
    sd = row.get("sd_change", math.nan)
    return abs(row["mean_change"]) / sd if sd and np.isfinite(sd) and sd > 0 else 0.0


def _change_words(row, digits: int = 2) -> str:
    """The mean change on the measure's own scale with its interval: ``"+0.25 points on a 1-5 scale, 95% CI ..."``."""
    if row["kind"] == "binary":
        return (f"{_signed(100 * row['mean_change'], 0)} percentage points answering yes, "
                + interval_words(row, _num(100 * row["ci_low"], 0), _num(100 * row["ci_high"], 0)))
    unit = " points" if _bounded(row) else ""
    return (f"{_signed(row['mean_change'], digits)}{unit}, "
            + interval_words(row, _num(row["ci_low"], digits), _num(row["ci_high"], digits)))


def _signed(x: float, digits: int) -> str:
    return ("+" if round(x, digits) > 0 else "") + _num(x, digits) if round(x, digits) != 0 else _num(0.0, digits)


def _chance_not_ruled_out(row) -> str:
    """Why an outcome whose interval leaves out 0 is still "no clear change": its multiplicity-adjusted p."""
    lo, hi, p = row.get("ci_low"), row.get("ci_high"), row.get("p_adjusted")
    if pd.notna(lo) and pd.notna(hi) and (lo > 0 or hi < 0) and pd.notna(p):
        return (f"; the interval leaves out 0, but with the p-value adjusted for testing several outcomes "
                f"(adjusted p = {format_p(p)}) chance is not ruled out")
    return ""


def _detectable_points(row, alpha: float) -> str:
    """The smallest detectable change of one outcome in its own units (d_z x SD of the changes)."""
    dz = detectable_dz(row["n_pairs"], alpha=alpha)
    sd = row.get("sd_change", math.nan)
    if not (np.isfinite(dz) and sd is not None and np.isfinite(sd) and sd > 0):
        return ""
    if row["kind"] == "binary":
        return f"; smallest detectable change about {100 * dz * sd:.0f} percentage points"
    return f"; smallest detectable change about {_num(dz * sd, 2)} points"


def outcome_lines(table: pd.DataFrame, *, alpha: float = 0.05) -> list[str]:
    """One Markdown line per outcome, clear changes first (largest standardised change first).

    Each line starts with the outcome's label and its verdict (*improved*,
    *worsened* or *no clear change*), then the change on the measure's own scale
    and its interval; a line without a clear change adds the smallest change the
    study could have detected (80% power, :func:`detectable_dz` times the SD of
    the individual changes). Suppressed outcomes are not described (see
    :func:`overall_verdict`).
    """
    t = _reported(table).copy()
    if t.empty:
        return []
    t["_clear"] = t["verdict"].isin(["improved", "declined"])
    t["_size"] = t.apply(_standardised, axis=1)
    t = t.sort_values(["_clear", "_size"], ascending=[False, False], kind="stable")
    lines = []
    for _, r in t.iterrows():
        label = md_escape(r["label"])
        if r["verdict"] == "improved":
            lines.append(f"- **{label}** improved ({_change_words(r)}).")
        elif r["verdict"] == "declined":
            lines.append(f"- **{label}** worsened ({_change_words(r)}).")
        else:
            lines.append(f"- **{label}**: no clear change ({_change_words(r)}{_chance_not_ruled_out(r)}"
                         f"{_detectable_points(r, alpha)}).")
    return lines


def verdict_counts(table: pd.DataFrame) -> dict[str, int]:
    """How many outcomes improved, worsened, showed no clear change, or were too small to report."""
    v = table["verdict"] if len(table) else pd.Series(dtype=str)
    return {"improved": int((v == "improved").sum()), "worsened": int((v == "declined").sum()),
            "unclear": int((v == "no clear change").sum()), "suppressed": int((v == "suppressed").sum())}


def overall_verdict(table: pd.DataFrame) -> str:
    """One sentence on all outcomes together, e.g. ``"All seven outcomes worsened."``.

    Counts follow the ``verdict`` column of :func:`evalkit.compare_prepost`, so
    a change that could be chance is never counted as a gain or a loss.
    """
    c = verdict_counts(table)
    k = c["improved"] + c["worsened"] + c["unclear"]
    if k == 0:
        return "No outcome had enough participants answering both surveys to report."
    outcomes = "outcome" if k == 1 else "outcomes"
    every = "Both" if k == 2 else f"All {number_word(k)}"   # "all two outcomes" is not English
    if c["improved"] == k:
        text = f"{every} {outcomes} improved." if k > 1 else "The one outcome improved."
    elif c["worsened"] == k:
        text = f"{every} {outcomes} worsened." if k > 1 else "The one outcome worsened."
    elif c["unclear"] == k:
        text = (f"There was no clear change on any of the {number_word(k)} {outcomes}." if k > 2
                else "There was no clear change on either outcome." if k == 2
                else "There was no clear change on the one outcome.")
    else:
        parts = [f"{number_word(n)} improved" if w == "improved" else
                 f"{number_word(n)} worsened" if w == "worsened" else
                 f"{number_word(n)} showed no clear change"
                 for w, n in (("improved", c["improved"]), ("worsened", c["worsened"]), ("unclear", c["unclear"])) if n]
        text = f"Of {number_word(k)} {outcomes}, " + (", ".join(parts[:-1]) + " and " + parts[-1]) + "."
    if c["suppressed"]:
        text += (f" {number_word(c['suppressed']).capitalize()} more had too few participants answering both "
                 "surveys to report.")
    return text


def detectable_sentence(table: pd.DataFrame, *, alpha: float = 0.05) -> str | None:
    """What the study could have detected, when any score or rating outcome showed no clear change (else None).

    Yes/no outcomes (McNemar) are left out: the d_z of a paired t-test is not theirs, and each outcome's own
    line gives its detectable change in percentage points.

    Uses the number of matched pairs of that outcome, or the median over those outcomes, and
    :func:`detectable_dz`.
    """
    unclear = _reported(table)
    unclear = unclear[unclear["verdict"] == "no clear change"]
    yes_no = 0
    if "kind" in unclear:   # a yes/no outcome's detectable change is in percentage points, on its own line
        yes_no = int((unclear["kind"] == "binary").sum())
        unclear = unclear[unclear["kind"] != "binary"]
    if unclear.empty:
        return None
    n = int(unclear["n_pairs"].median())
    dz = detectable_dz(n, alpha=alpha)
    if not np.isfinite(dz):
        return None
    # the count beside page one's verdict counts every outcome: say which kind this one counts (trial 13)
    noun = "score or rating outcome" if yes_no else "outcome"
    on = (f"{n} participants answering both surveys on the one {noun}" if len(unclear) == 1 else
          f"a median of {n} participants answering both surveys on the {number_word(len(unclear))} {noun}s")
    if yes_no:
        on += (" that showed no clear change (the yes/no outcome's detectable change is in percentage points, on its "
               "own line)" if yes_no == 1 else " that showed no clear change (the yes/no outcomes' detectable changes "
               "are in percentage points, on their own lines)")
    else:
        on += " that showed no clear change"
    return (f"\"No clear change\" is not proof of no effect: with {on}, the smallest "
            "change the study could reliably detect was a "
            f"mean change of {dz:.2f} standard deviations of the participants' changes (d_z = {dz:.2f}: a change that "
            f"size would be found {POWER:.0%} of the time by a paired t-test, two-sided, at the {alpha:g} level).")


def _p_words(p: str) -> str:
    return p if p.startswith("<") else f"= {p}"


def equity_lines(diffs: pd.DataFrame, *, alpha: float = 0.05, labels=None, outcomes: int | None = None) -> list[str]:
    """The equity finding in prose: credible gaps from :func:`evalkit.equity.group_differences`.

    One paragraph per characteristic with a credible gap (Holm-adjusted p < ``alpha``),
    most credible first, each listing the outcomes where change differed with the least
    and most favourable groups' mean changes. When groups were compared and no gap is
    credible, one sentence says so. Only groups shown in the report's group tables can
    appear (see :mod:`evalkit.equity`). Groups and characteristics are named by
    ``labels`` (:mod:`evalkit.labels`: the data's ``labels`` table or the defaults).
    ``outcomes``, the number of outcomes the report shows, lets the no-gap sentence say on how
    many of them each characteristic was compared (an outcome on which fewer than two groups
    are large enough is not compared).
    """
    from evalkit.equity import group_phrase
    from evalkit.labels import column_label

    if diffs is None or diffs.empty or diffs["pvalue"].notna().sum() == 0:
        return []
    credible = diffs[diffs["credible"]]
    if credible.empty:
        k = diffs["group_variable"].nunique()
        on = diffs[diffs["pvalue"].notna()].groupby("group_variable")["measure"].nunique()
        if outcomes is None or on.min() >= outcomes:
            where = "compared on every outcome"
        else:   # trial 13: "compared on every outcome" where one characteristic was compared on 2 of 7
            span = str(on.min()) if on.min() == on.max() else f"{on.min()} to {on.max()}"
            where = (f"compared on {span} of the {outcomes} outcomes, those where at least two groups were large "
                     "enough to compare")
        return [f"**For whom:** no credible difference between groups was found ({number_word(k)} participant "
                f"characteristic{'s' if k != 1 else ''} {where}, allowing for that many comparisons: "
                f"Holm-adjusted p-values)."]
    out = []
    order = credible.groupby("group_variable", sort=False)["p_adjusted"].min().sort_values().index
    for var in order:
        g = credible[credible["group_variable"] == var].sort_values("p_adjusted", kind="stable")
        n = len(g)
        outcomes = f"{number_word(n)} outcome{'s' if n != 1 else ''}"
        if g["least_group"].nunique() == 1 and g["most_group"].nunique() == 1:
            who = md_escape(group_phrase(var, g["least_group"].iloc[0], labels))
            head = (f"**For whom:** {who[0].upper() + who[1:]} benefited less than "
                    f"{md_escape(group_phrase(var, g['most_group'].iloc[0], labels))} on {outcomes}")
        else:
            head = f"**For whom:** change differed by {md_escape(_lower_first(column_label(var, labels)))} on {outcomes}"
        same = g["least_group"].nunique() == 1 and g["most_group"].nunique() == 1
        parts = []
        for _, r in g.iterrows():
            if same:  # the groups are named once, in the head
                parts.append(f"{md_escape(r['label'])} {_group_change(r, 'least')} (n = {r['least_n']}) vs "
                             f"{_group_change(r, 'most')} (n = {r['most_n']})")
            else:
                parts.append(
                    f"{md_escape(r['label'])} {_group_change(r, 'least')} for "
                    f"{md_escape(group_phrase(var, r['least_group'], labels))} (n = {r['least_n']}) vs "
                    f"{_group_change(r, 'most')} for {md_escape(group_phrase(var, r['most_group'], labels))} "
                    f"(n = {r['most_n']})")
        worst = format_p(g["p_adjusted"].max())
        worst = worst if worst.startswith("<") else f"\u2264 {worst}"
        # with two groups the other group is "the others"; among more, it is one group of several: named
        others = ("the others" if (g["k_groups"] <= 2).all()
                  else f"for {md_escape(group_phrase(var, g['most_group'].iloc[0], labels))}")
        each = "Each difference is" if n > 1 else "The difference is"
        out.append(f"{head}, mean change {f'for them vs {others}' if same else 'by group'}: " + "; ".join(parts)
                   # a new sentence: the last part ends in "(n = ...)", so a parenthesis here would be a second
                   + f". {each} unlikely to be chance, even allowing for the many groups and outcomes compared "
                   f"(Holm-adjusted p {worst}, across every characteristic and outcome).")
    return out


def _group_change(row, which: str) -> str:
    """A group's mean change in an equity sentence: a yes/no measure's in percentage points, as the tables."""
    return format_change(row[f"{which}_change"], row.get("kind", "continuous"), words=True)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def equity_headline(diffs: pd.DataFrame, labels=None) -> str | None:
    """The most credible group gap in one plain sentence (no Markdown), or None when there is none.

    Groups and characteristics are named by ``labels`` (:mod:`evalkit.labels`).
    """
    from evalkit.equity import group_phrase
    from evalkit.labels import column_label

    if diffs is None or diffs.empty or not diffs["credible"].any():
        return None
    c = diffs[diffs["credible"]]
    var = c.sort_values("p_adjusted", kind="stable")["group_variable"].iloc[0]
    g = c[c["group_variable"] == var]
    n = len(g)
    outcomes = f"{number_word(n)} outcome{'s' if n != 1 else ''}"
    if g["least_group"].nunique() == 1 and g["most_group"].nunique() == 1:
        who = group_phrase(var, g["least_group"].iloc[0], labels)
        return f"{who[0].upper() + who[1:]} benefited less than {group_phrase(var, g['most_group'].iloc[0], labels)} on {outcomes}."
    return f"Change differed by {_lower_first(column_label(var, labels))} on {outcomes}."


def at_a_glance_html(kpis: list[tuple[str, str]], findings: list[str], figure_html: str = "") -> str:
    """The one-page "at a glance" card: key figures as large numbers, key sentences, a compact chart.

    Parameters
    ----------
    kpis : list of (value, label)
        Key figures, already formatted (and privacy-protected: counts through
        :func:`evalkit.privacy.format_count`). Plain text: escaped here.
    findings : list of str
        Plain-text sentences (the overall verdict, the equity finding, the caution). Escaped here.
    figure_html : str
        An ``<img>`` from :meth:`evalkit.figures.ReportFigure.to_html` (trusted HTML), or empty.

    Returns
    -------
    str
        ``<section class="at-a-glance"><h2>At a glance</h2><ul class="kpis"><li class="kpi">
        <span class="value">...</span><span class="label">...</span></li>...</ul>...</section>``,
        styled by the report template's ``report.css`` to print on one page.
    """
    items = "".join(f'<li class="kpi"><span class="value">{html.escape(str(v))}</span>'
                    f'<span class="label">{html.escape(str(label))}</span></li>' for v, label in kpis)
    text = "".join(f"<li>{html.escape(s)}</li>" for s in findings if s)
    return ('<section class="at-a-glance"><h2>At a glance</h2>'
            f'<ul class="kpis">{items}</ul>'
            + (f'<ul class="findings">{text}</ul>' if text else "")
            + figure_html + "</section>")


@dataclass(frozen=True)
class IndexCard:
    """A report's index card (:func:`index_card`), displayed as data for the batch run, not for readers.

    In a notebook it shows one plain line; a batch run (:func:`evalkit.batch.run_batch`)
    reads the ``INDEX_CARD_MIMETYPE`` output into the manifest and ``index.html`` and
    removes it from the HTML page.
    """

    card: dict

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {INDEX_CARD_MIMETYPE: dict(self.card), "text/plain": f"Index card: {self.card.get('headline', '')}"}


#: Below this share of first-survey respondents answering the second, a report is flagged "high attrition".
HIGH_ATTRITION_RETENTION = 0.5
#: Below this median number of matched pairs, a report is flagged "small n".
SMALL_N = 30


def index_card(outcomes: pd.DataFrame, targets: pd.DataFrame, retention_rate=None, *,
               no_outcomes: str | None = None) -> dict:
    """The index card of one partnership from its report's results: one-line verdict, targets met, flags.

    What :func:`evalkit.batch.run_batch` records as the manifest entry's ``headline``
    (and ``index.html`` shows): ``headline`` (:func:`overall_verdict` of the pre/post
    outcomes, significance-aware), ``targets_met`` and ``targets_total`` (targets judged
    met / met, not met or inconclusive; survey and indicator targets alike), ``flags``
    (``"high attrition"`` when fewer than half of the first survey's respondents answered
    the second, ``"small n"`` when the median outcome has fewer than :data:`SMALL_N`
    matched pairs or every outcome is suppressed). Only aggregate, privacy-protected
    values. :meth:`evalkit.report.PartnershipReport.index_card` passes page one's own
    results, so the card never says something the report does not.

    Parameters
    ----------
    outcomes : pandas.DataFrame
        :func:`evalkit.compare_prepost` of the partnership (no rows: nothing was surveyed before and after).
    targets : pandas.DataFrame
        :func:`evalkit.targets.all_target_verdicts` (a ``verdict`` column).
    retention_rate : float, optional
        Share of the first survey's respondents who answered the second (already privacy-protected).
    no_outcomes : str, optional
        The headline when ``outcomes`` has no rows, if the report knows why (e.g. the post survey is not
        yet collected); else that nothing was surveyed before and after.

    Returns
    -------
    dict
        ``{"headline": str, "targets_met": int, "targets_total": int, "targets_set": int, "flags": [str]}``
        (``targets_set``: every target, judged or not: suppressed, no data yet).
    """
    from evalkit.targets import JUDGED

    text = overall_verdict(outcomes) if len(outcomes) else (no_outcomes or "No measure was surveyed both before and after.")
    judged = targets[targets["verdict"].isin(JUDGED)] if len(targets) else targets
    flags = []
    if retention_rate is not None and pd.notna(retention_rate) and retention_rate < HIGH_ATTRITION_RETENTION:
        flags.append("high attrition")
    shown = outcomes[~outcomes["suppressed"].astype(bool)] if len(outcomes) else outcomes
    if (len(outcomes) and shown.empty) or (len(shown) and shown["n_pairs"].median() < SMALL_N):
        flags.append("small n")
    return {"headline": text, "targets_met": int((judged["verdict"] == "met").sum()) if len(judged) else 0,
            "targets_total": int(len(judged)), "targets_set": int(len(targets)), "flags": flags}
