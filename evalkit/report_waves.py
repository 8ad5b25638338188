"""The report sections that use every wave and the comparison group: change over time, and compared with a
comparison group.

:class:`WavesAndArmsSections` is mixed into :class:`evalkit.report.PartnershipReport`; it reads the report's
waves (``wave_order``, ``baseline_wave``, ``post_wave``), its data and ``_program_data`` (the program arm when
there is a comparison group), and builds each section once (:func:`section_once`). The analyses are in
:mod:`evalkit.waves` and :mod:`evalkit.arms`; this module only narrates and formats them, through
:mod:`evalkit.privacy` like every other section.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, wraps

import pandas as pd

from evalkit.labels import wave_label
from evalkit.narrate import format_change, format_number, format_p, format_pct, md_escape
from evalkit.privacy import format_count



def section_once(method):
    """A section built once per report: the page shows it and the workbook (:meth:`PartnershipReport.tables`) reuses it.

    Sections hold figures and formatted tables; building one twice draws its
    figures twice. A list result is handed out as a fresh list each time.
    """
    @wraps(method)
    def once(self):
        built = self.__dict__.setdefault("_sections", {})
        if method.__name__ not in built:
            built[method.__name__] = method(self)
        result = built[method.__name__]
        return list(result) if isinstance(result, list) else result

    return once


@dataclass(frozen=True, eq=False)
class ChangeOverTimeSection:
    """The change-over-time section (:meth:`PartnershipReport.change_over_time`); shows nothing when not applicable.

    Displayed in a notebook it shows its heading, text, figure and tables in order;
    :meth:`markdown` gives its text alone.
    """

    applicable: bool
    intro: str = ""
    trend: str = ""
    comparisons: pd.DataFrame | None = None   # baseline vs each later wave, formatted
    comparisons_caption: str = ""
    retention: pd.DataFrame | None = None     # who answered each wave, formatted (the workbook's table)
    figure: object = None
    retention_text: str = ""                  # the same, as the one sentence the page shows
    comparisons_text: str = ""                # the comparisons, one line per measure, as the page shows them
    heading: str = "## Change over time"

    def markdown(self) -> str:
        if not self.applicable:
            return ""
        return "\n\n".join(p for p in (self.heading, self.intro, self.trend) if p)

    def _ipython_display_(self):
        from IPython.display import Markdown, display

        if not self.applicable:
            return
        display(Markdown("\n\n".join(p for p in (self.heading, self.intro, self.trend) if p)))
        if self.figure is not None:
            display(self.figure)
        if self.comparisons_text:   # already in the text (compact on the page); the tables are in the workbook
            return
        if self.comparisons is not None:
            display(Markdown(self.comparisons_caption), self.comparisons)
        if self.retention_text:
            display(Markdown(self.retention_text))
        elif self.retention is not None:
            display(Markdown("Who answered each wave:"), self.retention)


@dataclass(frozen=True, eq=False)
class ComparisonSection:
    """The comparison-group section (:meth:`PartnershipReport.comparison_group`); nothing when not applicable."""

    applicable: bool
    intro: str = ""
    balance: pd.DataFrame | None = None     # baseline equivalence with WWC verdicts, formatted
    attrition: pd.DataFrame | None = None   # overall and differential attrition, WWC boundaries, formatted
    effects: pd.DataFrame | None = None     # ANCOVA adjusted difference, Hedges' g, diff-in-diff, formatted
    effects_text: str = ""
    check: str = ""
    heading: str = "## Compared with a comparison group"

    def markdown(self) -> str:
        if not self.applicable:
            return ""
        return "\n\n".join(p for p in (self.heading, self.intro, self.effects_text, self.check) if p)

    def _ipython_display_(self):
        from IPython.display import Markdown, display

        if not self.applicable:
            return
        display(Markdown(f"{self.heading}\n\n{self.intro}"))
        display(Markdown("**Program effect.**\n\n" + self.effects_text), self.effects)
        if self.check:
            display(Markdown(self.check))
        display(Markdown("**Were the groups alike at the start?** Baseline difference in pooled-SD units "
                         "(What Works Clearinghouse: at most 0.05 satisfies; 0.05 to 0.25 needs adjustment for the "
                         "baseline, which the analysis makes; above 0.25 does not meet the standard)."), self.balance)
        display(Markdown("**Who was lost?** Share of each group assigned but not analysed, judged against the WWC "
                         "boundaries for differential attrition."), self.attrition)


def _beside_boundary(g) -> str:
    """A baseline difference with 2 decimals, or 3 when 2 would put it on a WWC boundary (0.05, 0.25) it is not on:
    "0.25 | not equivalent" contradicted the rule beside it (0.05 to 0.25 needs adjustment; trial 10, anorexia's
    g = 0.2543)."""
    digits = 2
    while digits < 4 and pd.notna(g) and round(abs(g), digits) in (0.05, 0.25) and abs(g) not in (0.05, 0.25):
        digits += 1
    return format_number(g, digits)


class WavesAndArmsSections:
    """The change-over-time and comparison-group sections of :class:`evalkit.report.PartnershipReport`."""

    @cached_property
    def _over_time_measures(self) -> list[str]:
        """Measures asked at three or more waves, followed over time by at least ``min_group_size`` people.

        A measure enters the change-over-time section when this partnership asked it at
        three or more waves and at least ``min_group_size`` participants answered it at two
        or more of them: change within a person is what the tests and the model learn from,
        so with fewer such people nothing is concluded (as the outcomes table suppresses
        measures with fewer matched pairs).
        """
        r = self._program_data.responses.dropna(subset=["value"])
        n_waves = r.groupby("measure")["wave"].nunique()
        followed = (r.groupby(["measure", "participant_id"])["wave"].nunique() >= 2).groupby(level="measure").sum()
        return [m for m in self.data.measures["measure"]
                if n_waves.get(m, 0) >= 3 and followed.get(m, 0) >= self.min_group_size]

    @cached_property
    def baseline_vs_later(self) -> pd.DataFrame:
        """Baseline vs each later wave on matched participants, Holm over measures x waves (:mod:`evalkit.waves`)."""
        from evalkit.waves import baseline_vs_later

        if not self._over_time_measures:
            return pd.DataFrame()
        return baseline_vs_later(self._program_data, self.partnership_id, self._over_time_measures, alpha=self.alpha,
                                 min_group_size=self.min_group_size)

    @cached_property
    def time_trends(self) -> pd.DataFrame:
        """The time effect of every measure asked at three or more waves (:func:`evalkit.waves.time_trends`)."""
        from evalkit.waves import time_trends

        if not self._over_time_measures:
            return pd.DataFrame()
        return time_trends(self._program_data, self.partnership_id, self._over_time_measures, alpha=self.alpha,
                           min_group_size=self.min_group_size)

    def trajectory_figure(self):
        """Mean of each measure at each wave with its interval (by arm when there is a comparison group), or None."""
        from evalkit.figures import ReportFigure, report_style
        from evalkit.waves import describe_trajectory, plot_trajectory, trajectory

        if not self._over_time_measures:
            return None
        by = self.arms if self._program_only else None   # a comparison arm too small to set apart: all together
        table = trajectory(self.data, self.partnership_id, self._over_time_measures, by=by,
                           min_group_size=self.min_group_size)
        with report_style():
            # compact (the section shares its page): no overall title, wide short panels
            meta = self.data.measures.set_index("measure")
            scales = {m: (meta.at[m, "scale_min"], meta.at[m, "scale_max"]) for m in self._over_time_measures
                      if m in meta.index}
            fig = plot_trajectory(table, title="", panel_size=(6.0, 2.0) if len(self._over_time_measures) == 1
                                  else (4.6, 2.4), min_group_size=self.min_group_size, scales=scales)
            return ReportFigure(fig, describe_trajectory(table, min_group_size=self.min_group_size))

    def _retention_by_wave_table(self) -> pd.DataFrame:
        from evalkit.waves import retention_by_wave

        # the program's participants where a comparison arm is set apart, as the participation section (trial 10)
        r = retention_by_wave(self._program_data, self.partnership_id, min_group_size=self.min_group_size)
        return pd.DataFrame({
            "Wave": r["wave"], "Role": r["role"],
            "Answered": [format_count(n, self.min_group_size) for n in r["n_answered"]],
            "Still answering (of baseline)": [format_pct(x) for x in r["retention_rate"]],
        }).set_index("Wave")

    @section_once
    def change_over_time(self) -> "ChangeOverTimeSection":
        """The **change over time** section: shown when the partnership asked a measure at three or more waves.

        The trajectory figure, the baseline against each later wave (matched
        participants, Holm across measures and waves), the time effect of a model
        using every answer (:func:`evalkit.waves.time_trend`: linear mixed model for
        continuous measures, GEE for rating scales and yes/no answers) in plain
        language, and retention per wave. With a comparison group, the tests and the
        model use the program group and the figure draws each arm.
        """
        from evalkit.waves import describe_time_trend, wave_times

        if len(self.wave_order) < 3 or not self._over_time_measures:
            return ChangeOverTimeSection(applicable=False)
        k = self.min_group_size
        who = f"the {self._program_words}'s answers" if self._program_only else "every answer"
        pairs_only = ("" if k == 1 else   # nothing is withheld at k = 1: "when fewer than 1 ..." says nothing
                      f" (at the {md_escape(wave_label(self.baseline_wave))} and "
                      f"{md_escape(wave_label(self.post_wave))} surveys only those who answered both, when fewer than "
                      f"{k} answered just one)")
        intro = (f"Participants were surveyed {len(self.wave_order)} times. "
                 + self._retention_by_wave_sentence()
                 + f" A wave's mean counts everyone who answered it{pairs_only}; the tests and the model use {who}.")
        times = wave_times(self.data, self.partnership_id)
        if list(times.values()) != [float(i) for i in range(len(times))]:
            intro += (" Time runs by the order given in the waves table ("
                      + ", ".join(f"{md_escape(wave_label(w))} {t:g}" for w, t in times.items())
                      + "), so a trend is per unit of that order.")
        t = self.baseline_vs_later
        comparisons = None
        if len(t):
            comparisons = self._named_waves(pd.DataFrame({
                "Measure": t["label"], "Wave": t["wave"],
                "n pairs": [format_count(n, k) for n in t["n_pairs"]],
                "Change": [format_number(x) for x in t["mean_change"]],
                "95% CI": ["\u2013" if pd.isna(lo) else f"{format_number(lo)} to {format_number(hi)}"
                           for lo, hi in zip(t["ci_low"], t["ci_high"])],
                "Adjusted p": [format_p(p) for p in t["p_adjusted"]],
            }).set_index(["Measure", "Wave"]))
        against = {}
        for label, g in t.groupby("label", sort=False):
            said = []
            for _, r in g.iterrows():
                if r["suppressed"] or pd.isna(r["mean_change"]):
                    said.append(f"{md_escape(wave_label(r['wave']))}: too few pairs ({format_count(None, k)})")
                    continue
                p = format_p(r["p_adjusted"])
                said.append(f"{md_escape(wave_label(r['wave']))} {format_change(r['mean_change'])} "
                            f"(95% CI {format_number(r['ci_low'])} to {format_number(r['ci_high'])}, adjusted p "
                            f"{p if p.startswith('<') else '= ' + p}, {format_count(r['n_pairs'], k)} pairs)")
            against[label] = "; ".join(said)
        # one line per measure: the model's time effect, then each later wave against the baseline
        lines = []
        for _, r in self.time_trends.iterrows():
            model = str(r["model"]).split(" (")[0]
            line = f"- {describe_time_trend(r, alpha=self.alpha, min_group_size=k, digits=2)} Model: {model}."
            if r["label"] in against:
                line += (f" Against the {md_escape(wave_label(self.baseline_wave))} survey, same participants, Holm-adjusted: "
                         f"{against[r['label']]}.")
            lines.append(line)
        return ChangeOverTimeSection(
            applicable=True, intro=intro, trend="\n".join(lines), comparisons=comparisons,
            comparisons_text="\n".join(lines),
            retention=self._retention_by_wave_table(), figure=self.trajectory_figure())

    def _retention_by_wave_sentence(self) -> str:
        from evalkit.waves import retention_by_wave

        r = retention_by_wave(self._program_data, self.partnership_id, min_group_size=self.min_group_size)
        said = [f"{md_escape(wave_label(w))} {format_count(n, self.min_group_size)}"
                + ("" if i == 0 else " (share not shown)" if pd.isna(x) else f" ({format_pct(x)})")
                for i, (w, n, x) in enumerate(zip(r["wave"], r["n_answered"], r["retention_rate"]))]
        return (f"Answers per wave (in brackets, the share of {md_escape(wave_label(self.baseline_wave))} respondents still "
                "answering): " + ", ".join(said) + ".")

    # ---- compared with a comparison group -------------------------------------------------------
    @cached_property
    def program_effects(self) -> pd.DataFrame:
        """ANCOVA program effects, Hedges' g and difference in differences (:func:`evalkit.arms.program_effects`)."""
        from evalkit.arms import program_effects

        if not self.has_comparison:
            return pd.DataFrame()
        return program_effects(self.data, self.partnership_id, pre=self.baseline_wave, post=self.post_wave,
                               arms=self.arms, reference=self.reference, alpha=self.alpha,
                               min_group_size=self.min_group_size)

    def program_effect_summary(self) -> str:
        """The program effect relative to the comparison group, in plain language (page one)."""
        from evalkit.arms import program_effect_summary

        e = self.program_effects
        if e.empty:
            return (f"No measure was answered at both the {md_escape(wave_label(self.baseline_wave))} and the "
                    f"{md_escape(wave_label(self.post_wave))} survey by both groups.")
        return (f"**Compared with the {self._reference_words}** (at the {md_escape(wave_label(self.post_wave))} survey, allowing "
                "for where participants started):\n\n"
                + program_effect_summary(e, alpha=self.alpha, min_group_size=self.min_group_size))

    @section_once
    def comparison_group(self) -> "ComparisonSection":
        """The **compared with a comparison group** section: shown when the partnership has both arms.

        Baseline equivalence with the WWC verdicts (:func:`evalkit.arms.baseline_balance`),
        overall and differential attrition against the WWC boundaries
        (:func:`evalkit.arms.arm_attrition`), the program effect by ANCOVA with Hedges' g
        and the difference in differences as a check (:func:`evalkit.arms.program_effects`).
        Every count is shown through :func:`evalkit.privacy.format_count`; arms smaller
        than ``min_group_size`` are suppressed.
        """
        from evalkit.arms import arm_attrition, baseline_balance, program_effect_summary

        if not self.has_comparison:
            return ComparisonSection(applicable=False)
        k, kw = self.min_group_size, dict(pre=self.baseline_wave, post=self.post_wave, arms=self.arms,
                                          reference=self.reference, min_group_size=self.min_group_size)
        fn = format_number

        def ci(lo, hi, digits=2):
            return "\u2013" if pd.isna(lo) else f"{fn(lo, digits)} to {fn(hi, digits)}"

        def n2(a, b, protected="", columns=("n_group", "n_reference")):
            # a blanked arm reads "not shown", small or protecting (arms._tidy; privacy, rule 2)
            shut = str(protected).split(",")
            return " / ".join(format_count(x, k, protected=c in shut) for x, c in zip((a, b), columns))

        b = baseline_balance(self.data, self.partnership_id, **kw)
        balance = pd.DataFrame({
            "Measure": b["label"], "Group": b["group"],
            "n (group / comparison)": [n2(x, y, z) for x, y, z in zip(b["n_group"], b["n_reference"], b["protected"])],
            "Baseline mean (group)": [fn(x) for x in b["mean_group"]],
            "Baseline mean (comparison)": [fn(x) for x in b["mean_reference"]],
            "Baseline difference (g)": [_beside_boundary(x) for x in b["effect_size"]],
            "WWC verdict": b["verdict"],
        }).set_index(["Measure", "Group"])
        a = arm_attrition(self.data, self.partnership_id, **kw)

        def pct(x):
            return "\u2013" if pd.isna(x) else f"{x:.0f}%"

        def boundary(verdict, limit):
            return verdict if pd.isna(limit) else f"{verdict} (at most {limit:.1f} points)"

        attrition = pd.DataFrame({
            "Measure": a["label"], "Group": a["group"],
            "Assigned (group / comparison)": [n2(x, y, z, ("n_assigned_group", "n_assigned_reference")) for x, y, z
                                              in zip(a["n_assigned_group"], a["n_assigned_reference"], a["protected"])],
            "Analysed (group / comparison)": [n2(x, y, z, ("n_analyzed_group", "n_analyzed_reference")) for x, y, z
                                              in zip(a["n_analyzed_group"], a["n_analyzed_reference"], a["protected"])],
            "Attrition (group / comparison)": [f"{pct(x)} / {pct(y)}" for x, y in
                                               zip(a["attrition_group_pct"], a["attrition_reference_pct"])],
            "Overall attrition": [pct(x) for x in a["overall_pct"]],
            "Differential": ["\u2013" if pd.isna(x) else f"{x:.1f} points" for x in a["differential_pp"]],
            "Cautious boundary": [boundary(v, m) for v, m in zip(a["cautious_verdict"], a["cautious_max_pp"])],
            "Optimistic boundary": [boundary(v, m) for v, m in zip(a["optimistic_verdict"], a["optimistic_max_pp"])],
        }).set_index(["Measure", "Group"])
        e = self.program_effects
        effects = pd.DataFrame({
            "Measure": e["label"], "Group": e["group"],
            "n (group / comparison)": [n2(x, y, z) for x, y, z in zip(e["n_group"], e["n_reference"], e["protected"])],
            "Adjusted difference": [fn(x) for x in e["estimate"]],
            "95% CI": [ci(lo, hi) for lo, hi in zip(e["ci_low"], e["ci_high"])],
            "Adjusted p": [format_p(p) for p in e["p_adjusted"]],
            "Effect size": ["\u2013" if pd.isna(g) else f"{fn(g)} ({name})"
                            for g, name in zip(e["effect_size"], e["effect_size_name"])],
            "Effect 95% CI": [ci(lo, hi) for lo, hi in zip(e["effect_ci_low"], e["effect_ci_high"])],
            "Difference in differences (95% CI)": [
                "\u2013" if pd.isna(d) else f"{fn(d)} ({ci(lo, hi)})"
                for d, lo, hi in zip(e["did_estimate"], e["did_ci_low"], e["did_ci_high"])],
        }).set_index(["Measure", "Group"])
        b_, p_ = md_escape(wave_label(self.baseline_wave)), md_escape(wave_label(self.post_wave))
        intro = (f"The {self._program_words} compared with the {self._reference_words} of the same partnership, on "
                 f"participants who answered both the {b_} and the {p_} survey. First how alike the groups were at "
                 f"the {b_} survey and how many of them were lost, as the What Works Clearinghouse asks; then the "
                 "program effect: how much better or worse the group ended, allowing for where its participants "
                 "started (analysis of covariance).")
        shown = e[~e["suppressed"].astype(bool)] if len(e) else e
        agree = []
        for _, r in shown.iterrows():
            if pd.isna(r["did_estimate"]):
                continue
            same = (r["did_ci_low"] <= r["estimate"] <= r["did_ci_high"])
            agree.append(f"- {md_escape(r['label'])}, {md_escape(r['group'])} group: difference in differences "
                         f"{fn(r['did_estimate'])} ({ci(r['did_ci_low'], r['did_ci_high'])}), "
                         + ("consistent with the adjusted difference." if same else
                            "outside the adjusted difference: read the effect with the baseline table."))
        check = ("As a check, the difference in differences (the group's change minus the comparison group's "
                 "change) assumes the groups would have changed alike; it should broadly agree with the adjusted "
                 "difference:\n" + "\n".join(agree)) if agree else ""
        return ComparisonSection(
            applicable=True, intro=intro, balance=balance, attrition=attrition, effects=effects,
            effects_text=program_effect_summary(e, alpha=self.alpha, min_group_size=k), check=check)

    # ---- methods of the new sections ---------------------------------------------------------------
