"""Report sections beyond pre/post scores: voices, stories, indicators, action plan, partners' view, who was served.

:class:`HealthSections` is what the partnership report template calls for the
six sections of issue 10; :class:`PortfolioHealth` gives the cross-partnership
views of the portfolio summary. Each method returns a Markdown string, a
formatted table (strings, readable headers) or a
:class:`~evalkit.figures.ReportFigure`, so the template cells stay one line.
A partnership without the data of a section gets a sentence saying it was not
recorded, never an error: the text method says it, once, and the section's table
and figure are None (a notebook displays nothing for None), so no empty table or
second copy of the sentence follows it.

Everything shown has been through :mod:`evalkit.privacy` (counts under the
minimum group size read "fewer than k", shares and means of small groups are
blank, complementary suppression where a total is shown) and free text through
:func:`evalkit.voices.redact` and :func:`evalkit.narrate.md_escape`.
"""
from __future__ import annotations

import re
from functools import cached_property

import numpy as np
import pandas as pd

from evalkit import community as _community
from evalkit import indicators as _indicators
from evalkit import partner_survey as _partners
from evalkit import voices as _voices
from evalkit.labels import column_label, relabel_groups, value_label
from evalkit.narrate import (capitalise, format_date, format_number, format_p, format_pct, md_escape,
                             singular_unit)
from evalkit.narrate import note as _note
from evalkit.privacy import (DEFAULT_MIN_GROUP_SIZE, check_min_group_size, format_count, n_protecting, protects,
                             suppression_rule)

__all__ = ["HealthSections", "PortfolioHealth"]

DASH = "\u2013"



def format_value(x, unit=None) -> str:
    """An indicator's value with its unit ("1,046 hours"): whole numbers without decimals, else one decimal.

    A value of exactly 1 takes its unit in the singular when the unit is one lower-case English plural
    ("1 internship", "1 family", "1 class"); other units ("USD", "kg CO2") are shown as recorded.
    """
    if x is None or pd.isna(x):
        return DASH
    text = f"{x:,.0f}" if float(x).is_integer() else f"{x:,.1f}"
    if not (isinstance(unit, str) and unit):
        return text
    return f"{text} {singular_unit(unit) if float(x) == 1 else unit}"


def _together(rows: pd.DataFrame) -> str:
    """A shared indicator's portfolio total (``_sum`` of :meth:`PortfolioHealth.shared_indicators`) in words."""
    total = rows["_sum"].iloc[0]
    return format_value(total, rows["unit"].iloc[0]) if pd.notna(total) else _voices.PROTECTS


def _and_list(words: list[str]) -> str:
    """"A", "A and B", "A, B and C"."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def theme_label(theme: str) -> str:
    """A theme's code as words, as the themes tables show it beside its description: "practical-skills" ->
    "Practical skills", "peer_support" -> "Peer support"; the row of comments mentioning no theme is
    "No theme found". The code itself is the analyst's shorthand."""
    if theme == _voices.NO_THEME:
        return "No theme found"
    return capitalise(re.sub(r"[-_]+", " ", str(theme)).strip())


def theme_name(theme: str, description=None) -> str:
    """How a report names a theme in a sentence: its codebook description, else its code as words
    (:func:`theme_label`)."""
    if isinstance(description, str) and description.strip():
        return description.strip()
    return theme_label(theme)


def _p(p) -> str:
    text = format_p(p)
    return text if text.startswith("<") else f"= {text}"


def _date(d) -> str:
    return format_date(d, short=True)


def _table(rows: dict, index: str) -> pd.DataFrame:
    return pd.DataFrame(rows).set_index(index)


class HealthSections:
    """The partnership-health sections of one partnership's report.

    Parameters
    ----------
    data : evalkit.load.Dataset
        Validated data (all partnerships or just this one).
    partnership_id : str
    min_group_size : int
        Groups smaller than this are suppressed everywhere.
    alpha : float
        Significance level for "unlikely to be due to chance" (gaps and changes in the partners' survey).
    as_of : date-like, optional
        Date the action plan is judged at (default: the partnership's end date, or today while it runs).
    conf_level : float

    Examples
    --------
    >>> import evalkit
    >>> health = HealthSections(evalkit.load_data("data/sample"), "riverside-literacy", as_of="2025-09-22")
    >>> "Family reading night" in health.action_plan()
    True
    """

    def __init__(self, data, partnership_id: str, *, min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
                 alpha: float = 0.05, as_of=None, conf_level: float = 0.95):
        self.data = data
        self.partnership_id = partnership_id
        self.k = check_min_group_size(min_group_size)
        self.alpha = alpha
        self.as_of = as_of
        self.conf_level = conf_level
        data.for_partnership(partnership_id)  # InputError for an unknown partnership

    # ---- analyses, computed once --------------------------------------------------------------
    @cached_property
    def _programme(self):
        """This partnership's data without a comparison arm set apart
        (:func:`evalkit.arms.without_set_apart_comparisons`): the people whose comments, answers and groups these
        sections count (trial 10)."""
        from evalkit.arms import without_set_apart_comparisons

        return without_set_apart_comparisons(self.data, [self.partnership_id], min_group_size=self.k)

    @cached_property
    def _voiced(self):
        """The data whose comments are the programme's: a comparison arm set apart is neither counted nor quoted
        as a participant of the programme (trial 10); the roster that quotes are scrubbed with stays whole."""
        import dataclasses

        return dataclasses.replace(self.data, comments=self._programme.comments)

    @cached_property
    def themes(self) -> pd.DataFrame:
        return _voices.themes(self._voiced, self.partnership_id, min_group_size=self.k)

    @cached_property
    def quotes(self) -> pd.DataFrame:
        return _voices.quotes(self._voiced, self.partnership_id, min_group_size=self.k)

    @cached_property
    def stories_table(self) -> pd.DataFrame:
        return _voices.success_stories(self.data, self.partnership_id)

    @cached_property
    def trend(self) -> pd.DataFrame:
        return _indicators.indicator_trend(self.data, self.partnership_id, min_group_size=self.k)

    @cached_property
    def progress(self) -> pd.DataFrame:
        return _indicators.indicator_progress(self.data, self.partnership_id, min_group_size=self.k)

    @cached_property
    def milestones(self) -> pd.DataFrame:
        return _indicators.milestone_status(self.data, self.partnership_id, as_of=self.as_of)

    @cached_property
    def survey(self) -> pd.DataFrame:
        return _partners.partner_survey_summary(self.data, self.partnership_id, conf_level=self.conf_level,
                                                min_group_size=self.k)

    @cached_property
    def gaps(self) -> pd.DataFrame:
        return _partners.partner_survey_gaps(self.data, self.partnership_id, conf_level=self.conf_level,
                                             min_group_size=self.k)

    @cached_property
    def survey_change(self) -> pd.DataFrame:
        return _partners.partner_survey_change(self.data, self.partnership_id, conf_level=self.conf_level,
                                               min_group_size=self.k)

    @cached_property
    def representation(self) -> pd.DataFrame:
        # the groups *Results by group* counts: the program's participants where a comparison arm is set apart
        return _community.representation_gap(self._programme, self.partnership_id, conf_level=self.conf_level,
                                             min_group_size=self.k)

    # ---- In their own words --------------------------------------------------------------------
    def _commented_apart(self) -> str:
        """" More people left comments at the post survey than answered its questions: ..." when, at some wave,
        the program's commenters outnumber the program's respondents (trial 11: Uplands' 51 commenters against
        24 post-survey respondents, unexplained). No count is given: only that the one exceeds the other."""
        from evalkit.labels import wave_label

        own = self._programme
        c = own.comments[own.comments["partnership_id"] == self.partnership_id]
        r = own.responses[own.responses["partnership_id"] == self.partnership_id]
        answered = r.groupby("wave", observed=True)["participant_id"].nunique()
        for wave, commenters in c.groupby("wave", sort=False, observed=True)["participant_id"].nunique().items():
            if wave in answered.index and commenters > answered[wave]:
                w = wave_label(wave)
                return (f" More people left comments at the {w} survey than answered its questions: comments were "
                        "collected apart from the survey's questions, so the two counts differ.")
        return ""

    def voices(self) -> str:
        """Theme counts in words, then two or three scrubbed quotes per theme."""
        t = self.themes
        if t.empty:
            if (self.data.comments["partnership_id"] == self.partnership_id).any():   # all set apart (trial 10)
                return ("Comments were recorded only from the comparison group; this section describes the "
                        "program's participants, so none are counted or quoted.")
            return "Participants' comments were not recorded for this partnership."
        n = t["n_commenters"].iloc[0]
        coding = t["coding"].iloc[0]
        lines = [f"{capitalise(format_count(n, self.k))} participants left comments; "
                 f"{_voices.CODING_NOTE[coding]}." + self._commented_apart()]
        if pd.isna(n):
            return lines[0] + " Too few people commented to report what they said."
        if coding == "none":
            return lines[0] + " Quotes are shown only for themes, so none are shown."
        hidden = t[(t["theme"] != _voices.NO_THEME) & t["n_people"].isna()]
        small = hidden["theme"].tolist()
        for theme in [x for x in t["theme"] if x != _voices.NO_THEME and x not in small]:
            q = self.quotes[self.quotes["theme"] == theme]
            row = t[t["theme"] == theme].iloc[0]
            people = "person" if row["n_people"] == 1 else "people"
            head = (f"**{md_escape(theme_name(theme, row['description']))}**: mentioned by "
                    f"{format_count(row['n_people'], self.k)} {people}"
                    + (f" ({format_pct(row['share'])} of those who commented)" if pd.notna(row["share"]) else "") + ".")
            lines.append(head)
            for _, r in q.iterrows():
                lines.append(f"> \u201c{md_escape(r['quote'])}\u201d  \n> \u2014 {md_escape(r['attribution'])}")
        name = dict(zip(t["theme"], (theme_name(x, d) for x, d in zip(t["theme"], t["description"]))))
        if small:   # one sentence for all (privacy, rule 2): which are the small ones is not said
            lines.append(f"Not shown (no count, share or quote): themes mentioned by {format_count(None, self.k)} "
                         "people, and any blanked with them so that their count cannot be worked out by subtraction: "
                         + ", ".join(md_escape(name[x]) for x in small) + ".")
        return "\n\n".join(lines)

    def themes_table(self) -> pd.DataFrame | None:
        """Theme counts and shares, formatted ("fewer than k" below the minimum group size); None without
        comments (:meth:`voices` says they were not recorded)."""
        t = self.themes
        if t.empty:
            return None
        return _table({
            "Theme": [theme_label(x) for x in t["theme"]],
            "Description": [d if isinstance(d, str) else "" for d in t["description"]],
            "People mentioning it": [note if s else format_count(v, self.k)
                                     for v, s, note in zip(t["n_people"], t["suppressed"], t["note"])],
            "Share of those who commented": [format_pct(x) for x in t["share"]],
        }, "Theme")

    # ---- Success stories -----------------------------------------------------------------------
    def stories(self) -> str:
        """Stories told with consent, escaped, with date and teller's role; the others counted."""
        s = self.stories_table
        if s.empty:
            return "Success stories were not recorded for this partnership."
        shown = s[s["shown"]]
        parts = []
        for _, r in shown.iterrows():
            title = md_escape(r["title"]) if r["title"] else "A story"
            who = f"told by {md_escape(r['told_by'])}" if r["told_by"] else "teller not recorded"
            parts.append(f"**{title}** ({_date(r['date'])}, {who})\n\n> {md_escape(r['text'])}")
        withheld = int((~s["shown"]).sum())
        if withheld:
            parts.append(f"{withheld} more {'story was' if withheld == 1 else 'stories were'} told without consent "
                         f"to publish {'it' if withheld == 1 else 'them'}: counted here, not shown.")
        return "\n\n".join(parts)

    # ---- Partnership indicators ---------------------------------------------------------------
    def indicators(self) -> str:
        """Latest value against its target with a verdict, and totals over the partnership's life."""
        p = self.progress
        if p.empty:
            return "Partnership indicators were not recorded for this partnership."
        lines = []
        for _, r in p.iterrows():
            latest = (format_value(r["latest"], r["unit"]) if pd.notna(r["latest"])
                      else format_count(None, self.k, protected=protects(r["note"])))
            total = format_value(r["total"], r["unit"]) if pd.notna(r["total"]) else format_count(None, self.k)
            how = {"sum": "in total", "last": "at the end", "max": "at most", "mean": "on average"}[r["aggregate"]]
            text = (f"- {md_escape(r['label'])}: {latest} in the latest period ({md_escape(r['latest_period'])}); "
                    f"{total} {how} over {r['n_periods']} period{'s' if r['n_periods'] != 1 else ''}")
            if r["verdict"] != "no target":
                which = "latest value" if r["statistic"] == "latest" else "total"
                text += f"; target for the {which}: {format_value(r['target'], r['unit'])}, **{r['verdict']}**"
            lines.append(text + ".")
        return "\n".join(lines)

    def indicators_table(self) -> pd.DataFrame | None:
        """Each indicator's latest value, total, target and verdict; None without indicators (:meth:`indicators`
        says they were not recorded)."""
        p = self.progress
        if p.empty:
            return None
        return _table({
            "Indicator": p["label"],
            "Unit": [u if isinstance(u, str) else "" for u in p["unit"]],
            "Periods": p["n_periods"],
            "Latest": [format_value(v) if pd.notna(v) else format_count(None, self.k, protected=protects(note))
                       for v, note in zip(p["latest"], p["note"])],
            "Total": [format_value(v) if pd.notna(v) else format_count(None, self.k) for v in p["total"]],
            "Target": [DASH if s is None or pd.isna(t) else f"{format_value(t)} ({s})" for s, t in zip(p["statistic"], p["target"])],
            "Verdict": p["verdict"],
        }, "Indicator")

    def indicators_figure(self):
        from evalkit.figures import ReportFigure
        from evalkit.health_plots import describe_indicator_trends, plot_indicator_trends

        if self.trend.empty:
            return None
        return ReportFigure(plot_indicator_trends(self.trend, min_group_size=self.k),
                            describe_indicator_trends(self.trend, min_group_size=self.k))

    def indicators_figures(self) -> list:
        """The indicator charts as the report shows them: one figure a row of two charts (see :meth:`_rows`)."""
        from evalkit.health_plots import describe_indicator_trends, plot_indicator_trends

        if self.trend.empty:
            return []
        return self._rows(self.trend, "indicator", 2, plot_indicator_trends, describe_indicator_trends)

    def _rows(self, table: pd.DataFrame, key: str, per_row: int, plot, describe, **options) -> list:
        """One figure a row of ``per_row`` panels, a panel per value of ``key``, each with its own alt text.

        A grid of panels is one image, which print cannot break: the indicator charts (4.3 in) and the
        partners' check-in panels left up to half of the page before them blank (trial 13). Drawn a row at a
        time (``plot`` and ``describe`` on that row's rows of ``table``), the first row prints under the
        text before it. Each row notes the values it withholds. With one row, the list holds the one figure.
        With more, every row is laid out ``per_row`` panels wide, so a short last row's panels keep the width
        of the others (trial 14); ``options`` go to ``plot`` (the roles' order, which styles each role alike
        in every row).
        """
        from evalkit.figures import ReportFigure

        names = list(dict.fromkeys(table[key]))
        figures = []
        for i in range(0, len(names), per_row):
            part = table[table[key].isin(names[i:i + per_row])]
            columns = per_row if len(names) > per_row else None
            figures.append(ReportFigure(plot(part, min_group_size=self.k, columns=columns, **options),
                                        describe(part, min_group_size=self.k)))
        if len(figures) > 1:   # the margins and gaps of the roomiest row for every row: panels of one size
            pars = [f.figure.subplotpars for f in figures]
            left, right, wspace = max(p.left for p in pars), min(p.right for p in pars), max(p.wspace for p in pars)
            # the room above the panels (their titles) in inches: the rows' heights differ by their notes only
            above = max((1 - p.top) * f.figure.get_figheight() for p, f in zip(pars, figures))
            for f in figures:
                top = 1 - above / f.figure.get_figheight()
                f.figure.subplots_adjust(left=left, right=right, wspace=wspace, top=top)
        return figures

    # ---- Action plan ----------------------------------------------------------------------------
    def action_plan(self) -> str:
        """On-time share and the overdue milestones, named."""
        s = self.milestones
        if s.empty:
            return "The action plan (milestones) was not recorded for this partnership."
        m = _indicators.milestone_summary(s).iloc[0]
        when = _date(s["as_of"].iloc[0])
        lines = [f"Of {m['n_milestones']} milestones in the action plan, {m['n_due']} were due by {when}: "
                 f"{m['n_on_time']} done on time, {m['n_late']} done late and {m['n_overdue']} overdue"
                 + (f" ({format_pct(m['on_time_share'])} on time)" if m["n_due"] else "") + "."]
        if m["n_not_yet_due"]:
            lines[0] += f" {m['n_not_yet_due']} {'is' if m['n_not_yet_due'] == 1 else 'are'} not yet due."
        overdue = s[s["state"] == "overdue"]
        if len(overdue):
            lines.append("**Overdue:**\n")
            lines += [f"- {md_escape(r['milestone'])} (owner: {md_escape(r['owner']) if isinstance(r['owner'], str) else 'not recorded'}; "
                      f"due {_date(r['due_date'])}, {r['days_late']} days overdue)" for _, r in overdue.iterrows()]
        return lines[0] + ("\n\n" + "\n".join(lines[1:]) if len(lines) > 1 else "")

    def milestones_table(self) -> pd.DataFrame | None:
        """Each milestone with its owner, dates and where it stands; None without an action plan
        (:meth:`action_plan` says it was not recorded)."""
        s = self.milestones
        if s.empty:
            return None
        return _table({
            "Milestone": s["milestone"],
            "Owner": [o if isinstance(o, str) else "" for o in s["owner"]],
            "Due": [_date(d) for d in s["due_date"]],
            "Done": [_date(d) for d in s["done_date"]],
            "Where it stands": s["state"],
        }, "Milestone")

    def milestones_figure(self):
        from evalkit.figures import ReportFigure
        from evalkit.health_plots import describe_milestones, plot_milestones

        if self.milestones.empty:
            return None
        return ReportFigure(plot_milestones(self.milestones), describe_milestones(self.milestones))

    # ---- How the partners see the partnership -------------------------------------------------
    def partners(self) -> str:
        """Change since the first check-in and gaps between respondent roles, in words."""
        s = self.survey
        if s.empty:
            return "The partners' check-in survey was not recorded for this partnership."
        periods = s.drop_duplicates("period").sort_values("period_rank")["period"].tolist()
        lines = [f"The partners rated the partnership at {len(periods)} check-in{'s' if len(periods) != 1 else ''} "
                 f"({', '.join(md_escape(p) for p in periods)}) on a {s['scale_min'].min():g} to "
                 f"{s['scale_max'].max():g} scale."
                 + ("" if self.k == 1 else   # nothing is withheld at k = 1
                    f" Roles with {format_count(None, self.k)} respondents are not shown"
                    + ("; nor, where one is, another role, so that the smaller one cannot be worked out by subtraction "
                       "from all respondents." if n_protecting(s) else "."))]
        c = self.survey_change
        if len(c):
            lines.append(f"**Since the first check-in** ({md_escape(c['first_period'].iloc[0])}):\n\n"
                         + "\n".join(self._change_line(r) for _, r in c.iterrows()))
        g = self.gaps
        latest = g[g["period_rank"] == g["period_rank"].max()] if len(g) else g
        if len(latest):
            a, b = latest["role_a"].iloc[0], latest["role_b"].iloc[0]
            lines.append(f"**{capitalise(md_escape(a))} vs {md_escape(b)} at the latest check-in** "
                         f"({md_escape(latest['period'].iloc[0])}):\n\n"
                         + "\n".join(self._gap_line(r) for _, r in latest.iterrows()))
        return "\n\n".join(lines)

    def _credible(self, r) -> bool:
        """Chance ruled out, as for the outcomes: the test below alpha *and* the interval shown excluding 0 (at an
        alpha other than 1 - conf_level, p alone said "unlikely" beside a 95% interval holding 0)."""
        return (pd.notna(r["pvalue"]) and r["pvalue"] < self.alpha
                and not r["ci_low"] <= 0 <= r["ci_high"])

    def _chance(self, r) -> str:
        return "unlikely to be due to chance" if self._credible(r) else "could be due to chance"

    def _digits(self, r) -> int:
        """Decimals for a check-in sentence: two, as the outcomes (one let "from 3.7 to 3.9 (change 0.1)" and
        "95% CI 0.0 to 1.0; unlikely to be due to chance" through); three where two would show a credible
        interval touching 0."""
        return 3 if self._credible(r) and 0 in (round(r["ci_low"], 2), round(r["ci_high"], 2)) else 2

    def _change_line(self, r) -> str:
        if r["suppressed"]:
            return f"- {md_escape(r['label'])}: too few respondents to compare ({format_count(None, self.k)})."
        verb = "barely changed" if abs(r["change"]) < 0.05 else "rose" if r["change"] > 0 else "fell"
        d = self._digits(r)
        return (f"- {md_escape(r['label'])}: {verb}, from {format_number(r['mean_first'], d)} to "
                f"{format_number(r['mean_latest'], d)} (change {format_number(r['change'], d)}, "
                f"{round(self.conf_level * 100)}% CI {format_number(r['ci_low'], d)} to {format_number(r['ci_high'], d)}; "
                f"{self._chance(r)}).")

    def _gap_line(self, r) -> str:
        if r["suppressed"]:   # small or protecting, one sentence: which it is would give the small one away
            return (f"- {md_escape(r['label'])}: not shown: a role with {format_count(None, self.k)} respondents, or "
                    "one not shown with it so that it cannot be worked out by subtraction.")
        d = self._digits(r)
        return (f"- {md_escape(r['label'])}: {md_escape(r['role_a'])} {format_number(r['mean_a'], d)}, "
                f"{md_escape(r['role_b'])} {format_number(r['mean_b'], d)} (gap {format_number(r['gap'], d)}, "
                f"{round(self.conf_level * 100)}% CI "
                f"{format_number(r['ci_low'], d)} to {format_number(r['ci_high'], d)}, p {_p(r['pvalue'])}; "
                f"{self._chance(r)}).")

    def partners_table(self) -> pd.DataFrame | None:
        """Each item's mean per check-in (rows) and respondent role (columns); blank where suppressed. None
        without the partners' survey (:meth:`partners` says it was not recorded)."""
        s = self.survey
        if s.empty:
            return None
        cell = [DASH if pd.isna(m) else f"{format_number(m, 1)} (n = {n})" for m, n in zip(s["mean"], s["n_respondents"])]
        wide = s.assign(cell=cell).pivot_table(index=["label", "period_rank", "period"], columns="respondent_role",
                                               values="cell", aggfunc="first", sort=False)
        roles = [r for r in dict.fromkeys(s["respondent_role"])]
        wide = wide.reset_index().sort_values(["label", "period_rank"]).rename(
            columns={"label": "Item", "period": "Check-in"})
        return wide.set_index(["Item", "Check-in"])[roles].fillna(DASH).rename_axis(columns=None)

    def partners_figure(self):
        from evalkit.figures import ReportFigure
        from evalkit.health_plots import describe_partner_survey, plot_partner_survey

        if self.survey.empty:
            return None
        return ReportFigure(plot_partner_survey(self.survey, min_group_size=self.k),
                            describe_partner_survey(self.survey, min_group_size=self.k))

    def partners_figures(self) -> list:
        """The partners' check-in panels as the report shows them: one figure a row of three (see :meth:`_rows`)."""
        from evalkit.health_plots import describe_partner_survey, plot_partner_survey

        if self.survey.empty:
            return []
        return self._rows(self.survey, "item", 3, plot_partner_survey, describe_partner_survey,
                          roles=list(dict.fromkeys(self.survey["respondent_role"])))

    # ---- Who was served -----------------------------------------------------------------------
    def served(self) -> str:
        """Under- and over-represented groups, with the method in one sentence."""
        g = self.representation
        if g.empty:
            return "The make-up of the community served was not recorded for this partnership."
        lines = ["Participants' make-up against the community's. The representation ratio is the group's share "
                 "among participants (whose value is known) divided by its share in the community: 1 means as "
                 f"present as in the community. A group is flagged under-represented when the whole "
                 f"{round(self.conf_level * 100)}% interval (Wilson) is below 1, and over-represented when it is "
                 "above 1: a gap that chance in who enrolled does not explain."]
        # a group whose count is not shown is not judged (community.NOT_JUDGED): a verdict would bound its count
        unjudged = int((g["verdict"] == _community.NOT_JUDGED).sum())
        judged = g["verdict"].isin([_community.UNDER, _community.OVER, _community.IN_LINE])
        under = g[g["verdict"] == _community.UNDER]
        if len(under):
            lines.append("**Under-represented:**\n")
            for _, r in under.iterrows():
                detail = (f"{format_pct(r['participant_share'])} of participants vs "
                          f"{format_pct(r['community_share'])} of the "
                          f"community; ratio {r['ratio']:.2f}, {round(self.conf_level * 100)}% CI "
                          f"{r['ratio_ci_low']:.2f} to {r['ratio_ci_high']:.2f}")
                lines.append(f"- {md_escape(column_label(r['characteristic'], self.data))}: "
                             f"{md_escape(value_label(r['characteristic'], r['group'], self.data))} ({detail}).")
        elif not judged.any():
            lines.append("No group can be compared with the community: no group's count can be shown "
                         f"({format_count(None, self.k)} in a group, or not shown so that a smaller group cannot "
                         "be worked out).")
        else:
            lines.append("No group shown is under-represented beyond what chance would explain.")
        few = g.loc[g["note"] == _community.FEW_MISSING, "characteristic"].unique()
        if len(few):  # their shares are of everyone enrolled (evalkit.community, privacy)
            lines[0] += (" For " + _and_list([md_escape(column_label(c, self.data)) for c in few])
                         + " the shares are of every participant instead: the number with no recorded value is not "
                         "shown, so that it cannot be worked out, and they count in the total, in none of the "
                         "groups.")
        over = g[g["verdict"] == _community.OVER]
        if len(over):
            lines.append("\nOver-represented: " + "; ".join(   # each characteristic named once
                f"{md_escape(column_label(char, self.data))}: "
                + ", ".join(md_escape(value_label(char, grp, self.data)) for grp in d["group"])
                for char, d in over.groupby("characteristic", sort=False)) + ".")
        if unjudged and judged.any():
            lines.append(f"\n{unjudged} group{'s' if unjudged != 1 else ''} not shown (privacy) "
                         f"{'are' if unjudged != 1 else 'is'} not judged: a verdict would say how many it holds.")
        return lines[0] + "\n\n" + "\n".join(lines[1:])

    def representation_table(self) -> pd.DataFrame | None:
        """Each group's share of the community and of participants, with the ratio; None without the
        community's make-up (:meth:`served` says it was not recorded)."""
        g = self.representation
        if g.empty:
            return None
        ci = round(self.conf_level * 100)
        g = pd.concat([relabel_groups(d, char, self.data)   # groups in report order, with their labels
                       for char, d in g.groupby("characteristic", sort=False)], ignore_index=True)
        return _table({
            "Characteristic": [column_label(c, self.data) for c in g["characteristic"]],
            "Group": g["group"],
            "Community": [format_pct(x) for x in g["community_share"]],
            "Participants": [note if s else format_count(n, self.k)
                             for n, s, note in zip(g["n_participants"], g["suppressed"], g["note"])],
            "Share of participants": [format_pct(x) for x in g["participant_share"]],
            "Ratio": [format_number(x) for x in g["ratio"]],
            f"{ci}% CI": [DASH if pd.isna(lo) else f"{format_number(lo)} to {format_number(hi)}"
                          for lo, hi in zip(g["ratio_ci_low"], g["ratio_ci_high"])],
            "Verdict": g["verdict"],
        }, "Characteristic")

    def representation_figure(self):
        from evalkit.figures import ReportFigure
        from evalkit.health_plots import describe_representation, plot_representation

        if self.representation.empty:
            return None
        named = self.representation.assign(  # rows named as the table names them (the labels table)
            characteristic=[column_label(c, self.data) for c in self.representation["characteristic"]],
            group=[value_label(c, g, self.data) for c, g in zip(self.representation["characteristic"],
                                                               self.representation["group"])])
        return ReportFigure(plot_representation(named, conf_level=self.conf_level), describe_representation(named))

    def methods(self) -> str:
        """The methods of the sections this partnership recorded, as Markdown (for the report's Methods section,
        :meth:`evalkit.report.PartnershipReport.methods`); "" when it recorded none of them."""
        parts = {"voices": not self.themes.empty or not self.stories_table.empty,
                 "indicators": not self.progress.empty or not self.milestones.empty,
                 "partners": not self.survey.empty, "served": not self.representation.empty}
        text = {
            "voices":
            "**Participants' voices.** Comments are grouped into themes coded by the analyst or, failing that, by "
            "the keywords of the themes codebook; a theme's count is the number of people mentioning it. Quotes "
            "are the analyst's featured comments first, then a fixed choice (ordered by a checksum of the text). "
            "Emails, phone numbers, addresses, web links, social-media handles, participant ids and the names in the "
            "roster are removed "
            "before anything is shown. "
            + suppression_rule('Themes mentioned by fewer than {k} people, and any blanked with them so that their '
                               'count cannot be worked out by subtraction, read "not shown (privacy)" and are not '
                               "quoted.", "themes", self.k)
            + " Stories told without consent are counted, never shown.",
            "indicators":
            "**Indicators and action plan.** Indicators are the partnership's own records (no sampling, so no "
            "interval); a target is met when the value reaches it. Milestones are judged at the date stated.",
            "partners":
            "**Partners' check-ins.** Means with t intervals; gaps between roles and changes since the first "
            "check-in with Welch's t interval.",
            "served":
            "**Who was served.** Wilson interval of each group's share among participants, divided by the "
            "community's share (taken as known).",
        }
        return "\n\n".join(text[k] for k, shown in parts.items() if shown)


class PortfolioHealth:
    """The cross-partnership views of the partnership-health tables, for the portfolio summary.

    Parameters
    ----------
    data : evalkit.load.Dataset
    min_group_size : int
    alpha : float
    as_of : date-like, optional
        Date every action plan is judged at (default: each partnership's end date, or today).

    Each ``*_table`` view is a formatted table or, when no partnership recorded its data, that fact in one
    sentence (:class:`IPython.display.Markdown`), so the portfolio page says it as text, not as a
    one-cell table under an empty header.

    Examples
    --------
    >>> import evalkit
    >>> port = PortfolioHealth(evalkit.load_data("data/sample"))
    >>> "Volunteer hours contributed" in port.shared_indicators_table().columns
    True
    """

    def __init__(self, data, *, min_group_size: int = DEFAULT_MIN_GROUP_SIZE, alpha: float = 0.05, as_of=None):
        self.data = data
        self.k = check_min_group_size(min_group_size)
        self.alpha = alpha
        self.as_of = as_of
        self.names = data.partnerships.set_index("partnership_id")["name"]

    @cached_property
    def progress(self) -> pd.DataFrame:
        return _indicators.indicator_progress(self.data, min_group_size=self.k)

    def shared_indicators(self) -> pd.DataFrame:
        """Tidy: each indicator recorded by two or more partnerships in one unit, each partnership's total.

        Totals counting people are protected like any partition with a shown
        total (:mod:`evalkit.privacy`, rules 1 and 2): values under *k* are blanked. Each
        partnership's report shows its own total when it reaches *k*, so blanking one more
        here would protect nothing; when the blanked ones sum to 1 to *k* - 1, the portfolio
        total (``_sum``) is withheld instead (NaN), since it less the totals the reports show
        would give them.
        """
        p = self.progress
        if p.empty:
            return pd.DataFrame(columns=["indicator", "label", "unit", "partnership_id", "total", "suppressed"])
        raw = _indicators.indicator_progress(self.data, min_group_size=1)  # exact totals, protected below
        raw = raw.assign(unit=raw["unit"].fillna(""))
        shared = raw.groupby(["indicator", "unit"]).filter(lambda g: g["partnership_id"].nunique() >= 2)
        parts = []
        for (ind, unit), g in shared.groupby(["indicator", "unit"], sort=False):
            total = g["total"].to_numpy(float)
            blank = (total > 0) & (total < self.k) if g["counts_people"].iloc[0] else np.zeros(len(g), bool)
            withheld = total[blank].sum()
            parts.append(pd.DataFrame({"indicator": ind, "label": g["label"].iloc[0], "unit": unit,
                                       "partnership_id": g["partnership_id"].to_numpy(),
                                       "total": np.where(blank, np.nan, total), "suppressed": blank,
                                       "_raw": total, "_sum": np.nan if 0 < withheld < self.k else total.sum()}))
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
            columns=["indicator", "label", "unit", "partnership_id", "total", "suppressed", "_raw", "_sum"])

    def shared_indicators_table(self) -> pd.DataFrame:
        """Shared indicators side by side (one column each), one row per partnership, and the portfolio total."""
        s = self.shared_indicators()
        if s.empty:
            return _note("No partnership indicator is recorded by two or more partnerships.")
        cells = s.assign(cell=[format_value(v) if pd.notna(v) else format_count(None, self.k) if 0 < raw < self.k
                               else _voices.PROTECTS for v, raw in zip(s["total"], s["_raw"])])
        wide = cells.pivot_table(index="partnership_id", columns="label", values="cell", aggfunc="first", sort=False)
        wide = wide.reindex([p for p in self.data.partnership_ids if p in wide.index]).fillna("not recorded")
        wide.index = [self.names.get(p, p) for p in wide.index]
        totals = s.drop_duplicates("label").set_index("label")["_sum"]
        units = s.drop_duplicates("label").set_index("label")["unit"]
        wide.loc["All partnerships"] = [format_value(totals[c], units[c]) if pd.notna(totals[c]) else _voices.PROTECTS
                                        for c in wide.columns]
        return wide.rename_axis(index="Partnership", columns=None)

    def shared_indicators_figure(self):
        """Bar charts: each shared indicator's total per partnership (suppressed totals not drawn), one figure."""
        s = self.shared_indicators()
        if s.empty:
            return None
        return self._shared_bars(s, list(dict.fromkeys(s["label"])))

    def shared_indicators_figures(self) -> list:
        """The bar charts of :meth:`shared_indicators_figure` as the portfolio shows them: a figure an indicator.

        One figure of five charts (10 in) could not be broken by print and left the page before it 61% blank
        (trial 13); a chart at a time, the first prints under the table before it.
        """
        s = self.shared_indicators()
        if s.empty:
            return []
        return [self._shared_bars(s, [label]) for label in dict.fromkeys(s["label"])]

    def _shared_bars(self, s: pd.DataFrame, labels: list):
        """The bar charts of the shared indicators ``labels`` (rows of :meth:`shared_indicators`), with alt text and
        the note on the totals they withhold."""
        import matplotlib.pyplot as plt

        from evalkit.figures import ReportFigure, report_style, tight_layout, wrap_labels
        from evalkit.privacy import withheld_note

        s = s[s["label"].isin(labels)]
        # a bar 0.17 in high (a name of 9-pt type and a gap), 0.8 in for the title and axis: at least 1.9 in a chart
        heights = [max(1.9, 0.17 * int(((s["label"] == lab) & s["total"].notna()).sum()) + 0.8) for lab in labels]
        with report_style():
            fig, axes = plt.subplots(len(labels), 1, figsize=(7.5, sum(heights) + 0.4), squeeze=False,
                                     gridspec_kw={"height_ratios": heights})
            for ax, lab in zip(axes.ravel(), labels):
                d = s[(s["label"] == lab) & s["total"].notna()]
                # one line a name, cut in the middle where long, two names never alike (the table has them whole)
                names = wrap_labels([str(self.names.get(p, p)) for p in d["partnership_id"]], 40, lines=1)
                ax.barh(range(len(names)), d["total"].to_numpy()[::-1], color="#0072B2")
                ax.set_yticks(range(len(names)), names[::-1])
                ax.set_ylim(-0.6, len(names) - 0.4)
                unit = d["unit"].iloc[0] if len(d) else ""
                ax.set_title(f"{lab} ({unit}), total over each partnership's life" if unit else lab, fontsize=10)
                ax.tick_params(axis="y", labelsize=9)
                for side in ("top", "right"):
                    ax.spines[side].set_visible(False)
            withheld = int(s["suppressed"].sum())
            if withheld:
                fig.text(0.01, 0.0, withheld_note(withheld, "totals", self.k), fontsize=9)
            tight_layout(fig)
        alt = f"Bar chart{'s' if len(labels) > 1 else ''} of shared indicators by partnership: " + "; ".join(
            f"{lab}, all partnerships together {_together(s[s['label'] == lab])}" for lab in labels) + "."
        return ReportFigure(fig, alt)

    def milestones_table(self) -> pd.DataFrame:
        """Milestone completion by partnership: due, on time, late, overdue, on-time share."""
        st = _indicators.milestone_status(self.data, as_of=self.as_of)
        if st.empty:
            return _note("No partnership recorded an action plan.")
        m = _indicators.milestone_summary(st)
        order = {pid: i for i, pid in enumerate(self.data.partnership_ids)}
        m = m.sort_values("partnership_id", key=lambda c: c.map(order), kind="stable")
        return _table({
            "Partnership": [self.names.get(p, p) for p in m["partnership_id"]],
            "Milestones": m["n_milestones"], "Due": m["n_due"], "On time": m["n_on_time"], "Late": m["n_late"],
            "Overdue": m["n_overdue"], "On-time share": [format_pct(x) for x in m["on_time_share"]],
        }, "Partnership")

    def partner_survey_table(self) -> pd.DataFrame:
        """Partner-survey health by partnership: latest check-in's mean rating as % of the scale."""
        h = _partners.partner_survey_health(self.data, min_group_size=self.k)
        if h.empty:
            return _note("No partnership recorded a partners' check-in survey.")
        return _table({
            "Partnership": [self.names.get(p, p) for p in h["partnership_id"]],
            "Latest check-in": h["latest_period"], "Items": h["n_items"],
            "Answers per item (fewest)": [format_count(n, self.k) for n in h["n_respondents"]],
            "Mean rating, % of scale": [DASH if pd.isna(x) else f"{x:.0f}%" for x in h["health"]],
        }, "Partnership")

    def representation_table(self) -> pd.DataFrame:
        """Representation gaps: the under-represented groups of every partnership."""
        from evalkit.arms import without_set_apart_comparisons

        # as each report's *Who was served*: a comparison arm set apart is not counted (its ratio would give it away)
        g = _community.representation_gap(without_set_apart_comparisons(self.data, min_group_size=self.k),
                                          min_group_size=self.k)
        if g.empty:
            return _note("No partnership recorded the make-up of its community.")
        rows = []
        for pid, d in g.groupby("partnership_id", sort=False):
            under = d[d["verdict"] == _community.UNDER]
            judged = d["verdict"].isin([_community.UNDER, _community.OVER, _community.IN_LINE])
            rows.append({"Partnership": self.names.get(pid, pid), "Groups compared": int(judged.sum()),
                         "Under-represented": len(under),
                         "Which": "; ".join(f"{column_label(c, self.data)}: {value_label(c, grp, self.data)}"
                                            + ("" if pd.isna(r) else f" (ratio {format_number(r)})")
                                            for c, grp, r in zip(under["characteristic"], under["group"], under["ratio"]))
                         or DASH})
        return pd.DataFrame(rows).set_index("Partnership")

    def themes_table(self) -> pd.DataFrame:
        """Theme frequencies pooled over every partnership (people mentioning each theme)."""
        import dataclasses

        from evalkit.arms import without_set_apart_comparisons

        # as each report's themes: a comparison arm set apart is not counted (its pooled count less the reports'
        # would give it away)
        own = without_set_apart_comparisons(self.data, min_group_size=self.k)
        t = _voices.themes(dataclasses.replace(self.data, comments=own.comments), None, min_group_size=self.k)
        if t.empty:
            return _note("No partnership recorded participants' comments.")
        return _table({
            "Theme": [theme_label(x) for x in t["theme"]],
            "Description": [d if isinstance(d, str) else "" for d in t["description"]],  # as each report's table
            "People mentioning it": [note if s else format_count(v, self.k)
                                     for v, s, note in zip(t["n_people"], t["suppressed"], t["note"])],
            "Share of those who commented": [format_pct(x) for x in t["share"]],
        }, "Theme")

    def summary(self) -> str:
        """Which partnerships recorded which health tables, in one paragraph."""
        d = self.data
        recorded = {name: set(getattr(d, name)["partnership_id"]) for name in
                    ("comments", "stories", "indicators", "milestones", "partner_survey", "community")}
        n = len(d.partnership_ids)
        said = ", ".join(f"{label} {len(recorded[name] & set(d.partnership_ids))}" for name, label in
                         (("indicators", "indicators"), ("milestones", "action plans"),
                          ("partner_survey", "partner check-ins"), ("community", "community make-up"),
                          ("comments", "comments"), ("stories", "stories")))
        return f"Of {n} partnerships, these recorded: {said}."

    def methods(self) -> str:
        """What the health tables' columns mean, in one paragraph for the portfolio's methods.

        The tables carry short headers ("Mean rating, % of scale", "Under-represented"); without this a reader
        takes 72% of scale for 72% agreeing.
        """
        when = (f"at {pd.Timestamp(self.as_of):%d %b %Y}" if self.as_of is not None
                else "at each partnership's end date, or today while it is still running or has none")
        return (
            "**Partnership health.** Shared partnership indicators are each partnership's own records, totalled "
            "over its reporting periods (no sampling, so no interval). Action plans: a milestone is on time when "
            f"done by its due date, judged {when}; the on-time share is of the milestones due. Partners' "
            "check-ins: at each partnership's latest check-in every answer is placed on its item's scale, where "
            "0% is the lowest answer of its scale and 100% the highest, and the answers are averaged (a mean of "
            "4 on a 1 to 5 scale is 75%)" + (f"; shown when every item has at least {self.k} answers" if self.k > 1 else "")
            + ". Representation gaps: a group is under-represented when the whole 95% interval "
            "(Wilson) of its representation ratio is below 1 (its share among participants divided by its share "
            "in the community), over-represented when it is above 1. Themes: the number of people whose comments "
            "mention each theme, over every "
            "partnership; a theme's pooled count is not shown when, with the counts the partnerships' own "
            "reports show, it would give away a count one of them withholds.")
