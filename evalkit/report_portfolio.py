"""The portfolio summary across partnerships (``templates/portfolio_report.ipynb``): one object, its sections."""
from __future__ import annotations

from functools import cached_property

import numpy as np
import pandas as pd

from evalkit.compare import check_data
from evalkit.narrate import format_number, format_pct, md_escape
from evalkit.privacy import DEFAULT_MIN_GROUP_SIZE, check_min_group_size, format_count, suppression_rule
from evalkit.scales import with_scale_scores
from evalkit.stats._validation import check_probability


def chance_clause(credible: bool) -> str:
    """How a pooled estimate's line says whether chance explains it: "a result unlikely to be due to chance"."""
    return "a result unlikely to be due to chance" if credible else "a result that could be due to chance"


class PortfolioReport:
    """Sections of the portfolio summary across all partnerships (``templates/portfolio_report.ipynb``).

    Parameters
    ----------
    data : evalkit.load.Dataset
        Validated data for every partnership.
    alpha, min_group_size
        As for :class:`PartnershipReport`.
    """

    def __init__(self, data, *, alpha: float = 0.05, min_group_size: int = DEFAULT_MIN_GROUP_SIZE):
        from evalkit.portfolio import pooled_effects, portfolio_overview, shared_indicator_effects, waves_by_role

        check_data(data)
        self.alpha = check_probability(alpha, "alpha")
        self.min_group_size = min_group_size = check_min_group_size(min_group_size)
        self.data = with_scale_scores(waves_by_role(data))  # each partnership's baseline/post, whatever their names
        self.overview = portfolio_overview(self.data, min_group_size=min_group_size)
        # program effects where a partnership has a comparison group, pre/post changes elsewhere: pooled apart
        self.effects = shared_indicator_effects(self.data, min_group_size=min_group_size)
        self.pooled = pooled_effects(self.effects)
        self.changes = self.effects.rename(columns={"n": "n_pairs", "estimate": "mean_change"})

    def __repr__(self) -> str:
        return (f"PortfolioReport({len(self.data.partnerships)} partnerships, alpha={self.alpha}, "
                f"min_group_size={self.min_group_size})")

    def _repr_markdown_(self) -> str:
        """In a notebook the portfolio shows its title and the shared indicators' pooled results."""
        return f"{self.title()}\n\n{self.shared_summary()}"

    def title(self) -> str:
        n = len(self.data.partnerships)
        types = self.data.partnerships["partner_type"].value_counts()
        mix = ", ".join(f"{k} {md_escape(t)}" for t, k in types.items())
        return f"# Portfolio summary\n\n*{n} partnerships ({mix})*"

    def overview_table(self) -> pd.DataFrame:
        o = self.overview
        return pd.DataFrame({
            "Partnership": o["name"],
            "Partner type": o["partner_type"],
            "Enrolled": [format_count(n, self.min_group_size) for n in o["n_enrolled"]],
            "Retention": [format_pct(x) for x in o["retention_rate"]],
            "Attendance": [format_pct(x) for x in o["attendance_rate"]],
            "Targets met": [(f"{m} of {t}" + (f" ({n - t} more not yet judged)" if n > t else "")) if t
                            else f"none could be judged ({n} target{'s' if n != 1 else ''})" if n
                            else "no targets set" for m, t, n in zip(o["targets_met"], o["targets_total"], o["targets_set"])],
        }).set_index("Partnership")

    def shared_summary(self) -> str:
        if self.pooled.empty:
            m = self.data.measures
            if not m.get("shared", pd.Series(False, index=m.index)).fillna(False).astype(bool).any():
                return "No shared indicators are declared (the `shared` column of the measures table)."
            return ("No partnership has answers at both a baseline and a post survey on a shared indicator yet, "
                    "so there is no change to compare across partnerships.")
        from evalkit.narrate import heterogeneity_sentence
        from evalkit.portfolio import LEFT_OUT_REASON, PROGRAM_EFFECT

        lines = []
        any_effects = (self.pooled["estimate_type"] == PROGRAM_EFFECT).any()
        for _, r in self.pooled.iterrows():
            share = r["measure"] in self._yes_no  # a change in a share: percentage points, as reports say
            if share:
                r = _pooled_in_percentage_points(r)
            digits, unit = (0, " percentage points") if share else (2, " points")
            effect = r["estimate_type"] == PROGRAM_EFFECT
            what = "program effect" if effect else "change"
            kind = ("program effects: each partnership's difference from its comparison group, allowing for the "
                    "baseline" if effect else "pre/post changes of partnerships without a comparison group")
            said = f" ({kind})" if any_effects else ""   # with no comparison group anywhere, every line is pre/post
            if pd.isna(r.get("estimate")):
                lines.append(f"- {md_escape(r['label'])}" + (f", {kind}" if any_effects else "")
                             + f": {r['note']}.")   # labels often end in ")"
                continue
            credible = r["pvalue"] < self.alpha and not r["ci_low"] <= 0 <= r["ci_high"]   # both, as outcomes
            chance = chance_clause(credible)
            left_out = (f" {r['k_left_out']} more {'partnership was' if r['k_left_out'] == 1 else 'partnerships were'} "
                        f"left out: {LEFT_OUT_REASON}.") if r["k_left_out"] else ""
            lines.append(
                f"- {md_escape(r['label'])}: across {r['k']} partnerships the average {what} was "
                f"{format_number(r['estimate'], digits)}{unit} (95% CI {format_number(r['ci_low'], digits)} to "
                f"{format_number(r['ci_high'], digits)}): {chance}{said}. "
                + heterogeneity_sentence(r, alpha=self.alpha, what=what, digits=digits,
                                         unit=" percentage points" if share else "") + left_out)
        return "\n".join(lines)

    def shared_table(self) -> pd.DataFrame | None:
        """Each partnership's change (or program effect) on each shared indicator; None when there is none
        (:meth:`shared_summary` says why, once)."""
        from evalkit.portfolio import PROGRAM_EFFECT

        c = self.changes
        if c.empty:
            return None
        share = c["measure"].isin(self._yes_no).to_numpy(bool)  # changes in a share: percentage points
        c = _in_percentage_points(c, share, ["mean_change", "ci_low", "ci_high"])

        def number(x, pts, unit=True):
            if pd.isna(x) or not pts:
                return format_number(x)
            return format_number(x, 0) + (" pts" if unit else "")

        return pd.DataFrame({
            "Indicator": c["label"], "Partnership": c["name"],
            "Estimate type": ["program effect" if t == PROGRAM_EFFECT else "pre/post change" for t in c["estimate_type"]],
            # pairs for a pre/post change, program and comparison participants together for a program effect:
            # both are the people who answered both surveys (trial 9: a bare "n" meant two things)
            # a program effect withheld because an arm is small is not "fewer than k answered" (trial 10: Harbor,
            # 85 answered both, comparison group of 6); the arm's count stays unsaid, as in the report
            "n (answered both surveys)": [
                f"not shown: an arm has {format_count(None, self.min_group_size)}"
                if t == PROGRAM_EFFECT and bool(s) else format_count(n, self.min_group_size)
                for n, t, s in zip(c["n_pairs"], c["estimate_type"], c["suppressed"])],
            "Estimate": [number(x, p) for x, p in zip(c["mean_change"], share)],
            "95% CI": ["\u2013" if pd.isna(lo) else f"{number(lo, p, unit=False)} to {number(hi, p)}"
                       for lo, hi, p in zip(c["ci_low"], c["ci_high"], share)],
        }).set_index(["Indicator", "Partnership"])

    @cached_property
    def _report_verdicts(self) -> dict:
        """(partnership, measure, estimate type) -> the verdict of that partnership's report: for a pre/post change,
        :func:`compare_prepost` of its data (the measure's own test, Holm-adjusted across its outcomes, and the
        interval); for a program effect, its comparison section's (:func:`evalkit.arms.program_effects` over all
        of the report's measures, Holm-adjusted, and the interval): "improved" or "declined" where chance is
        ruled out, else "no clear change"."""
        from evalkit.arms import chance_ruled_out, program_effects
        from evalkit.compare import compare_prepost
        from evalkit.portfolio import PREPOST_CHANGE, PROGRAM_EFFECT

        verdicts = {}
        effect = self.changes["estimate_type"] == PROGRAM_EFFECT
        pids = list(dict.fromkeys(self.changes.loc[~effect, "partnership_id"]))
        if pids:
            # one call for all: each partnership's outcomes are still their own Holm family, as in its report (the
            # same verdicts as one call per partnership, checked at 96 partnerships, in a sixth of the time)
            t = compare_prepost(self.data, pids, alpha=self.alpha, min_group_size=self.min_group_size)
            verdicts.update({(p, m, PREPOST_CHANGE): v for p, m, v, s in
                             zip(t["partnership_id"], t["measure"], t["verdict"], t["suppressed"]) if not s})
        for pid in dict.fromkeys(self.changes.loc[effect, "partnership_id"]):
            t = program_effects(self.data, pid, alpha=self.alpha, min_group_size=self.min_group_size)
            for _, r in t[(t["group"] == "program") & ~t["suppressed"].astype(bool)].iterrows():
                verdicts[(pid, r["measure"], PROGRAM_EFFECT)] = (
                    {"better": "improved", "worse": "declined"}.get(r["direction"], "no clear change")
                    if chance_ruled_out(r, self.alpha) else "no clear change")
        return verdicts

    @cached_property
    def _measure_meta(self) -> pd.DataFrame:
        """The measures table indexed by measure (read once for every forest plot)."""
        return self.data.measures.set_index("measure")

    def _scale_span(self, measure: str) -> float:
        """The width of a measure's scale (4 on 1-5), NaN where it declares no bounds."""
        meta = self._measure_meta
        if measure not in meta.index:
            return float("nan")
        lo, hi = meta.at[measure, "scale_min"], meta.at[measure, "scale_max"]
        return float(hi - lo) if pd.notna(lo) and pd.notna(hi) else float("nan")

    @property
    def _yes_no(self) -> set:
        """The yes/no measures: their changes are changes in a share, stated in percentage points."""
        return set(self.data.measures.loc[self.data.measures["kind"] == "binary", "measure"])

    def forest_figures(self) -> list:
        from evalkit.figures import ReportFigure, describe_forest, report_style
        from evalkit.plots import plot_forest

        from evalkit.portfolio import PROGRAM_EFFECT

        out = []
        with report_style():
            for _, r in self.pooled.iterrows():
                if pd.isna(r.get("estimate")):
                    continue
                same = self.changes[self.changes["estimate_type"] == r["estimate_type"]]   # never mixed
                # named as each partnership's report names it, a program effect as its comparison section does
                same = same.assign(verdict=[self._report_verdicts.get((p, m, r["estimate_type"])) for p, m in
                                            zip(same["partnership_id"], same["measure"])])
                hib = self._measure_meta["higher_is_better"].get(r["measure"], True)
                hib = True if pd.isna(hib) else bool(hib)
                share = r["measure"] in self._yes_no
                if share:  # percentage points, as the sentence and the reports state a yes/no change
                    same = _in_percentage_points(same, np.ones(len(same), bool), ["mean_change", "se", "ci_low", "ci_high"])
                    r = _pooled_in_percentage_points(r)
                span = 100.0 if share else self._scale_span(r["measure"])
                possible = (-span, span) if np.isfinite(span) else None   # the most a change can be, either way
                fig = plot_forest(same, r, higher_is_better=hib, possible=possible, min_group_size=self.min_group_size)
                alt = describe_forest(same, r, higher_is_better=hib, digits=0 if share else 2, possible=possible,
                                      min_group_size=self.min_group_size)
                effect = r["estimate_type"] == PROGRAM_EFFECT
                what = "program effect" if effect else "mean change"
                unit = " (percentage points answering yes)" if share else ""
                alt = alt.replace("mean change in", f"{what}{unit} in", 1)
                if effect:
                    fig.axes[0].set_xlabel("Program effect" + (" in percentage points answering yes" if share else "")
                                           + ": program - comparison, adjusted for baseline (95% CI)")
                    fig.axes[0].set_title(f"{fig.axes[0].get_title()} (program effects)", fontsize=10)
                elif share:
                    fig.axes[0].set_xlabel("Change in percentage points answering yes, post - pre (95% CI)")
                out.append(ReportFigure(fig, alt))
        return out

    def methods(self) -> str:
        return ("**Methods.** Each partnership's change on a shared indicator is the mean of post minus pre among "
                "participants who answered both surveys, with its standard error. Changes are pooled by a "
                "random-effects meta-analysis (REML estimate of the between-partnership variance tau\u00b2; "
                "Wald-type 95% interval; 95% prediction interval for a new partnership from the t distribution with "
                "k \u2212 2 degrees of freedom, Higgins, Thompson & Spiegelhalter 2009, since tau\u00b2 is poorly "
                "known from few partnerships; whether partnerships differ is judged by Cochran's Q test and I\u00b2). "
                "Each partnership's interval is the paired t interval of its own report, and its colour is its "
                "report's verdict, which allows for the several outcomes a report tests (Holm-adjusted p-values): "
                "an interval that leaves out 0 can still be \"no clear change\". "
                + suppression_rule("Partnerships with fewer than {k} matched participants on an indicator are "
                                   "not shown and not pooled.", "partnerships", self.min_group_size)
                + " A partnership with a comparison group contributes its program effect instead (the ANCOVA-adjusted "
                "difference program - comparison, with its standard error; its comparison participants are never "
                "counted as programme participants); program effects and pre/post changes estimate different "
                "things, so each is pooled with its own kind and never pooled together. In the table of "
                "partnerships, enrolment, retention, attendance and targets count each partnership's programme "
                "participants, as its report does: a comparison group is left out where it can be reported apart "
                "(each of its counts 0 or at least the minimum group size), and a comparison group too small to "
                "report apart is counted with the programme, as that report says.")


def _in_percentage_points(frame: pd.DataFrame, rows, columns) -> pd.DataFrame:
    """A copy of ``frame`` with ``columns`` (shares and their changes) times 100 in ``rows`` (a boolean mask)."""
    out = frame.copy()
    for col in [c for c in columns if c in out.columns]:
        values = out[col].to_numpy(float).copy()
        values[rows] *= 100
        out[col] = values
    return out


def _pooled_in_percentage_points(row: pd.Series) -> pd.Series:
    """A pooled row (:func:`evalkit.portfolio.pooled_changes`) of changes in a share, in percentage points."""
    out = row.copy()
    for col in ("estimate", "se", "ci_low", "ci_high", "pi_low", "pi_high"):
        out[col] = 100 * out[col]
    out["tau2"] = 10_000 * out["tau2"]   # a variance: the square of the scale
    return out
