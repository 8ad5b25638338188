"""The sections of one partnership's evaluation report, computed once and narrated.

:class:`PartnershipReport` is what the report template calls: each method
returns a Markdown string, a formatted table or a figure for one section, so the
template stays a thin list of headings and calls. Analysts can use it in a
notebook too (``ek.report.PartnershipReport(data, "riverside-literacy")``).
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from functools import cached_property

import pandas as pd

from evalkit.compare import COLUMNS as COMPARE_COLUMNS, check_data, compare_by_group, compare_prepost
from evalkit.describe import describe_wave
from evalkit.labels import column_label, humanise, relabel_groups, wave_label
from evalkit.narrate import (capitalise, format_change, format_date, format_number, format_p, format_pct, md_escape, methods_note,
                             note, outcomes_table, summary_paragraph)
from evalkit.participation import (attendance_summary, dose_response, representation_by_group, retention,
                                   session_attendance)
from evalkit.privacy import DEFAULT_MIN_GROUP_SIZE, PROTECTED_LABEL, check_min_group_size, format_count, protects
from evalkit.report_waves import ChangeOverTimeSection, ComparisonSection, WavesAndArmsSections, section_once
from evalkit.scales import scale_reliability, with_scale_scores
from evalkit.stats._validation import check_probability
from evalkit.targets import progress_against_targets

#: The at-a-glance chart's height (inches): a line of label, the frame (title, axis, legend), the cap that keeps
#: the card on page one, and the least gap between two labels (:meth:`PartnershipReport.glance_chart`).
_GLANCE_LINE, _GLANCE_FRAME, _GLANCE_MAX, _GLANCE_GAP = 0.26, 1.2, 3.3, 0.005


def _label_height(lines: int) -> float:
    """Height in inches of a tick label of ``lines`` lines of the report's 9-pt type (DejaVu Sans at matplotlib's
    line spacing of 1.2), as measured: 10.1 pt for one line, 13.7 pt more for each further line."""
    return (10.1 + 13.7 * (lines - 1)) / 72

#: Below this share of pre respondents answering post, the report warns that results may not be representative.
LOW_RETENTION = 0.5
#: Below this median number of matched pairs, page one cautions that only large changes could be detected.
SMALL_N = 30


#: How a target that cannot be judged is shown, by its verdict.
UNJUDGED = {"suppressed": "too few participants to judge", "no data": "no data yet",
            # goal_attainment's verdict without an interval: a mean of identical answers (e.g. all at the top)
            "not assessed": "not judged: every answer the same, so no interval"}


@dataclass(frozen=True)
class SubgroupSection:
    """One group variable's part of the report: heading, representation table, outcomes table."""

    variable: str
    heading: str
    representation: pd.DataFrame
    outcomes: pd.DataFrame
    compact: pd.DataFrame | None = None  # one row per group: enrolment, retention, change on each measure


def _appendix(title: str, tables: list[tuple[str, pd.DataFrame]]):
    """Tables folded out of the main story: a closed ``<details class="ek-appendix">`` (hidden in print).

    Every name and cell is HTML-escaped; the tables are shown as given (already privacy-protected).
    """
    from html import escape

    from IPython.display import HTML

    body = "".join(f"<h4>{escape(str(name))}</h4>" + table.to_html(escape=True, na_rep="\u2013", border=0)
                   for name, table in tables)
    return HTML(f'<details class="ek-appendix"><summary>{escape(title)}</summary>{body}</details>')


def _compact_by_group(representation_table: pd.DataFrame, outcomes: pd.DataFrame) -> pd.DataFrame:
    """Who took part and how each group changed, one column per group (the report's page; details go to Excel).

    Each measure's cell is the group's mean change with its matched pairs, or a dash
    where the group was suppressed (its values are never shown, see :mod:`evalkit.privacy`).
    """
    table = representation_table[["Enrolled", "Retention"]].copy()
    rows = zip(outcomes["label"], outcomes["group"], outcomes["suppressed"], outcomes["mean_change"],
               outcomes["kind"], outcomes["n_pairs"])
    cells: dict = {}   # label -> group -> cell, labels in order of appearance
    for label, group, suppressed, change, kind, n in rows:
        if pd.isna(label):
            continue
        if suppressed or pd.isna(change):
            cells.setdefault(label, {})[group] = "\u2013"
        else:  # as the outcomes table: a yes/no measure's change in percentage points
            cells.setdefault(label, {})[group] = f"{format_change(change, kind)} (n {int(n)})"
    for label, by_group in cells.items():
        table[str(label)] = [by_group.get(group, "\u2013") for group in table.index]
    out = table.T  # groups are few and measures many: one column per group reads and prints best
    out.index.name = "Measure"
    out.columns.name = None
    return out


def _excel_sheet_names(tables: dict) -> dict:
    """The same tables under Excel-safe sheet names: no ``[]:*?/\\``, at most 31 characters, unique."""
    import re

    out, seen = {}, set()
    for name, table in tables.items():
        base = re.sub(r"[\[\]:*?/\\]", "-", str(name)).strip("'") or "Sheet"
        candidate, k = base[:31], 1
        while candidate.lower() in seen:
            k += 1
            candidate = f"{base[:31 - len(str(k)) - 1]}~{k}"
        seen.add(candidate.lower())
        out[candidate] = table
    return out



def headline(data, partnership_id: str, *, alpha: float = 0.05, min_group_size: int | None = None) -> dict:
    """The index card of one partnership (:func:`evalkit.pageone.index_card`) from its report's page one.

    The same as :meth:`PartnershipReport.index_card`: the report's outcomes (the program
    group's, with a comparison group), target verdicts and retention. What
    :func:`evalkit.batch.run_batch` records for a template that does not display a card.

    Parameters
    ----------
    data : evalkit.load.Dataset
        Validated data holding the partnership (e.g. a batch run's slice).
    partnership_id : str
    alpha : float
        Significance level of the verdicts.
    min_group_size : int, optional
        Privacy threshold (default :data:`evalkit.privacy.DEFAULT_MIN_GROUP_SIZE`).

    Returns
    -------
    dict
        JSON-ready: ``{"headline": str, "targets_met": int, "targets_total": int, "flags": [str]}``.

    Examples
    --------
    >>> import evalkit
    >>> headline(evalkit.load_data("data/sample", "eastside-stem"), "eastside-stem")["headline"]
    'There was no clear change on any of the seven outcomes.'
    """
    k = DEFAULT_MIN_GROUP_SIZE if min_group_size is None else int(min_group_size)
    return PartnershipReport(data, partnership_id, alpha=alpha, min_group_size=k).index_card().card


class PartnershipReport(WavesAndArmsSections):
    """Sections of one partnership's report, each computed once on first use.

    Parameters
    ----------
    data : evalkit.load.Dataset
        Validated data (all partnerships, or just this one).
    partnership_id : str
        The partnership to report on.
    alpha : float
        Significance level applied to Holm-adjusted p-values.
    min_group_size : int
        Groups smaller than this are suppressed everywhere in the report.
    arms, reference : str
        The participants' column holding the arms (default ``"arm"``) and its comparison
        level (default ``"comparison"``); e.g. ``arms="treatment", reference="control"``
        compares each treatment with the control arm (see :mod:`evalkit.arms`).

    Waves are used by their roles (:attr:`evalkit.load.Dataset.wave_roles`): the
    outcomes compare the baseline wave with the post wave, the long-term section the
    baseline with the last follow-up wave, whatever the waves are called.
    """

    def __init__(self, data, partnership_id: str, *, alpha: float = 0.05,
                 min_group_size: int = DEFAULT_MIN_GROUP_SIZE, run_time: _dt.datetime | None = None,
                 arms: str = "arm", reference: str = "comparison"):
        check_data(data)
        self.alpha = check_probability(alpha, "alpha")  # checked here, not at the first section that uses them
        self.min_group_size = check_min_group_size(min_group_size)
        self.items = data.for_partnership(partnership_id)
        self.data = with_scale_scores(self.items)  # multi-item scales are analysed as scale scores
        self.partnership_id = partnership_id
        self.run_time = run_time or _dt.datetime.now(_dt.timezone.utc)
        self.info = self.data.partnerships.iloc[0]
        self.arms, self.reference = arms, reference

    def __repr__(self) -> str:
        return f"PartnershipReport({self.partnership_id!r}, alpha={self.alpha}, min_group_size={self.min_group_size})"

    def _repr_markdown_(self) -> str:
        """In a notebook the report shows its title and page one (:meth:`summary`), as the rendered report opens."""
        return f"{self.title()}\n\n{self.summary()}"

    # ---- analyses, computed once -------------------------------------------------
    @cached_property
    def stage(self) -> str:
        """How far the partnership's surveys have come, which decides what the report can say.

        ``"complete"``: answers at a baseline and a post wave (change is analysed);
        ``"baseline only"``: the post survey is not yet collected (the normal state of a
        nightly run mid-programme: the report describes the baseline); ``"no baseline"``:
        post answers without baseline ones (described, no change); ``"no answers"``:
        participants are registered but nobody has answered yet; ``"no participants"``.
        """
        if not len(self.data.participants):
            return "no participants"
        present = set(self.data.responses["wave"].dropna().unique())
        baseline, post = self._wave_with_role("baseline"), self._wave_with_role("post")
        has_baseline, has_post = baseline in present, post in present
        if has_baseline and has_post:
            return "complete"
        if has_baseline:
            return "baseline only"
        return "no baseline" if present else "no answers"

    @cached_property
    def outcomes(self) -> pd.DataFrame:
        """Baseline/post comparison per measure (:func:`evalkit.compare_prepost`), of the program group when
        the partnership has a comparison group; no rows until both a baseline and a post wave have answers."""
        if self.stage != "complete":
            return pd.DataFrame(columns=COMPARE_COLUMNS).astype({"suppressed": bool})
        return compare_prepost(self._program_data, self.partnership_id, alpha=self.alpha,
                               min_group_size=self.min_group_size, pre=self.baseline_wave, post=self.post_wave)

    @cached_property
    def retention(self) -> pd.Series:
        """Enrolment and retention (:func:`evalkit.retention`) of the program's participants when a comparison
        arm is set apart (:attr:`_program_only`), else of everyone."""
        return retention(self._program_data, self.partnership_id, pre=self.baseline_wave, post=self.post_wave,
                         min_group_size=self.min_group_size).iloc[0]

    @cached_property
    def attendance(self) -> pd.Series:
        return attendance_summary(self._program_data, self.partnership_id,
                                  min_group_size=self.min_group_size).iloc[0]

    @cached_property
    def targets(self) -> pd.DataFrame:
        # judged on the programme's participants: a comparison arm's change is not the programme's
        return progress_against_targets(self._program_data, self.partnership_id, pre=self.baseline_wave,
                                        post=self.post_wave, min_group_size=self.min_group_size)

    @cached_property
    def satisfaction_table(self) -> pd.DataFrame:
        """Satisfaction at the post wave, of the program group when there is a comparison group, as every
        outcome section and the targets (a target on satisfaction beside all arms' answers gave the
        comparison group's count and mean away by subtraction)."""
        return describe_wave(self._program_data, self.partnership_id, domain="satisfaction", wave=self.post_wave,
                             min_group_size=self.min_group_size, pairs_with=self.baseline_wave)

    @cached_property
    def _satisfaction_data(self):
        """The data the satisfaction figure draws: :attr:`_program_data`, with a measure's post answers limited
        to those who answered both surveys where :attr:`satisfaction_table` counts only them (``paired_only``)."""
        import dataclasses

        t, d = self.satisfaction_table, self._program_data
        paired = set(t.loc[t["paired_only"].astype(bool), "measure"])
        if not paired:
            return d
        r = d.responses
        keys = pd.MultiIndex.from_frame(r[["participant_id", "measure"]])   # who answered what
        before = keys[((r["wave"] == self.baseline_wave) & r["value"].notna()).to_numpy()]
        late = (r["wave"] == self.post_wave) & r["measure"].isin(paired) & ~keys.isin(before)
        return dataclasses.replace(d, responses=r[~late])

    # ---- sections ----------------------------------------------------------------
    def _period(self, fmt, both: str = "{} to {}") -> str:
        """The partnership's dates in ``fmt`` (a format, or a function of the date), or less when a date is blank
        (the contract makes them optional)."""
        show = fmt if callable(fmt) else (lambda d: f"{d:{fmt}}")
        start, end = (None if pd.isna(d) else show(d) for d in (self.info.get("start_date"), self.info.get("end_date")))
        if start and end:
            return both.format(start, end)
        return f"since {start}" if start else f"until {end}" if end else ""

    def _led_by(self) -> str:
        lead = self.info.get("lead_institution")
        return "" if lead is None or pd.isna(lead) else f" led by {md_escape(lead)}"

    @property
    def _partner_kind(self) -> str | None:
        """The partner type as a word for the text ("business"), or None for "other", a blank or a value
        outside :data:`evalkit.schema.PARTNER_TYPES`: the report then names no type rather than "a partner"."""
        from evalkit.schema import PARTNER_TYPES

        kind = self.info.get("partner_type")
        return kind if isinstance(kind, str) and kind in PARTNER_TYPES and kind != "other" else None

    def title(self) -> str:
        i, period, kind = self.info, self._period(format_date), self._partner_kind
        what = f"{kind} partnership{self._led_by()}" if kind else self._led_by().strip()
        parts = ["Evaluation report"] + [x for x in (what, period) if x]
        return f"# {md_escape(i['name'])}\n\n*" + " \u00b7 ".join(parts) + "*"

    def profile(self) -> str:
        i, r = self.info, self.retention
        n_measures = len(self.outcomes)
        running = self._period("%B %Y", "from {} to {}")
        kind = self._partner_kind
        if kind:    # "a partnership with a business partner, led by ..., running from ..."
            # by sound: "a university partner" (a "you" sound), "an other ..." never arises (kind "other" is None)
            article = "an" if kind[:1] in tuple("aeio") or (kind[:1] == "u" and not kind.startswith("uni")) else "a"
            who = f" with {article} {kind} partner" + (f",{self._led_by()}" if self._led_by() else "")
        else:       # no type to name: "a partnership led by ..., running from ..."
            who = self._led_by()
        running = (("," if who else "") + f" running {running}") if running else ""
        text = (f"{md_escape(i['name'])} is a partnership{who}{running}. "
                f"It enrolled {self._enrolled_words(r)}. ")
        if n_measures:
            text += (f"Participants were surveyed before and after the programme on {n_measures} "
                     f"measure{'s' if n_measures != 1 else ''} (listed in the outcomes table below).")
        return text

    def _enrolled_words(self, r) -> str:
        """"40 participants", or "46 program participants and 26 in the comparison group" when a comparison arm is
        set apart (:attr:`_program_only`): the program's enrolment, never the two arms added together."""
        k, c = self.min_group_size, self._comparison_retention
        if c is None and self.has_comparison:   # counted together: page one says so too (trial 10)
            return (f"{format_count(r['n_enrolled'], k)} participants (a {self._reference_words} too small to report "
                    "apart among them)")
        if c is None:
            return f"{format_count(r['n_enrolled'], k)} participants"
        n = self._comparison_count("n_enrolled")
        if n == PROTECTED_LABEL:
            return (f"{format_count(r['n_enrolled'], k)} program participants and a {self._reference_words} (its number "
                    "not shown, so that the program's cannot be worked out from it)")
        return f"{format_count(r['n_enrolled'], k)} program participants and {n} in the {self._reference_words}"

    def _comparison_count(self, col: str) -> str:
        """The comparison arm's ``col`` (:attr:`_comparison_retention`) beside the program's: "not shown" where the
        program's is withheld (1 to k - 1), since every arm's participants (the data files table) less the arm's
        would give the program's away (trial 10: 8 program participants, 40 in the comparison group, 48 rows)."""
        small = pd.isna(self.retention[col])
        return format_count(None if small else self._comparison_retention[col], self.min_group_size, protected=small)

    def _cautions(self) -> list[str]:
        out = []
        r = self.retention
        if pd.notna(r.get("retention_rate")) and r["retention_rate"] < LOW_RETENTION:
            out.append(f"**Caution:** only {format_pct(r['retention_rate'])} of participants who answered the first "
                       "survey answered the second, so these results may not represent everyone who took part.")
        shown = self.outcomes[~self.outcomes["suppressed"]] if len(self.outcomes) else self.outcomes
        if len(shown) and shown["n_pairs"].median() < SMALL_N:
            out.append(f"**Caution:** the median outcome has only {int(shown['n_pairs'].median())} matched pairs "
                       "(participants who answered it on both surveys), so only large changes could be detected "
                       "and estimates are imprecise.")
        if len(shown) and not self.has_comparison:
            out.append("**Caution:** there is no comparison group, so changes cannot be attributed to the programme "
                       "alone: other events over the same months may explain some of them.")
        return out

    def _did(self) -> str:
        """What the partnership did: participants, sessions and attendance, survey completion."""
        r, a, k = self.retention, self.attendance, self.min_group_size
        if self.stage == "no participants":
            return f"{md_escape(self.info['name'])} has no participants recorded yet."
        text = f"{md_escape(self.info['name'])} enrolled {self._enrolled_words(r)}"
        if a["n_records"] and not a["suppressed"]:
            text += (f" and ran {a['n_sessions']} sessions; participants attended "
                     f"{format_pct(a['attendance_rate'])} of the "
                     "sessions they were expected at")
        if self.stage != "complete":
            return text + "."
        b, post = md_escape(wave_label(self.baseline_wave)), md_escape(wave_label(self.post_wave))
        share = r.get("retention_rate")   # withheld (NaN) when either count is under k: then not mentioned
        who = " of the program participants" if self._program_only else ""
        return text + (f". {capitalise(format_count(r['n_both'], k))}{who} answered both the {b} and the {post} survey"
                       + (f" ({format_pct(share)} of those who answered the {b} survey)" if pd.notna(share) else "")
                       + ".")

    @cached_property
    def all_targets(self) -> pd.DataFrame:
        """Every target with its verdict, the indicator targets too (:func:`evalkit.targets.all_target_verdicts`)."""
        from evalkit.targets import all_target_verdicts

        return all_target_verdicts(self.data, self.partnership_id, self.targets, min_group_size=self.min_group_size)

    def _targets_sentence(self) -> str | None:
        t = self.all_targets
        if t.empty:
            return None
        judged = t[t["verdict"].isin(["met", "not met", "inconclusive"])]
        unjudged = t.loc[~t.index.isin(judged.index), "verdict"].map(
            {"suppressed": "with too few participants",
             "not assessed": "with every answer the same, so no interval"}).fillna("with no data yet")
        why = ", ".join(f"{n} {reason}" for reason, n in unjudged.value_counts(sort=False).items())
        if judged.empty:
            return f"**Targets:** none of the {len(t)} targets can be judged ({why})."
        met = int((judged["verdict"] == "met").sum())
        rest = [f"{n} {v}" for v, n in judged["verdict"].value_counts().items() if v != "met"]
        text = f"**Targets:** {met} of {len(judged)} met" + (f" ({', '.join(rest)})" if rest else "")
        if len(judged) < len(t):
            text += f"; {len(t) - len(judged)} could not be judged ({why})"
        return text + "."

    @cached_property
    def by_group(self) -> dict[str, pd.DataFrame]:
        """Baseline/post comparison by each participant characteristic (privacy-protected), by column."""
        if self.stage != "complete":
            return {}
        return compare_by_group(self._grouped(self._program_data), self.partnership_id, self.data.group_columns,
                                alpha=self.alpha, fold_unrecorded=False,  # folded once for every group table
                                pre=self.baseline_wave, post=self.post_wave, min_group_size=self.min_group_size)

    @cached_property
    def group_differences(self) -> pd.DataFrame:
        """Whether change differs across groups, per characteristic and measure (:func:`evalkit.equity.group_differences`)."""
        from evalkit.equity import COLUMNS, group_differences

        if self.stage != "complete":
            return pd.DataFrame(columns=COLUMNS)
        return group_differences(self._grouped(self._program_data), self.partnership_id, group_columns=list(self.by_group),
                                 alpha=self.alpha, min_group_size=self.min_group_size, pre=self.baseline_wave,
                                 post=self.post_wave, by_group=self.by_group, fold_unrecorded=False)

    def _grouped(self, data):
        """``data`` with too-small "not recorded" groups folded in (:func:`evalkit.compare.fold_unrecorded`), once per dataset."""
        from evalkit.compare import fold_unrecorded

        cache = self.__dict__.setdefault("_grouped_cache", {})
        if id(data) not in cache:  # the report's datasets live as long as the report: ids stay unique
            cache[id(data)] = (data, fold_unrecorded(data, min_group_size=self.min_group_size,
                                                     pre=self.baseline_wave, post=self.post_wave,
                                                     partnership_id=self.partnership_id))
        return cache[id(data)][1]

    def _equity_sentences(self) -> list[str]:
        from evalkit.pageone import equity_lines

        shown = int((~self.outcomes["suppressed"].astype(bool)).sum()) if len(self.outcomes) else None
        return equity_lines(self.group_differences, alpha=self.alpha, labels=self.data, outcomes=shown)

    def _glance_caution(self) -> str | None:
        """The one caution the card carries: attrition, else small n, else no comparison group."""
        r = self.retention
        shown = self.outcomes[~self.outcomes["suppressed"]] if len(self.outcomes) else self.outcomes
        if pd.notna(r.get("retention_rate")) and r["retention_rate"] < LOW_RETENTION:
            return (f"Caution: only {format_pct(r['retention_rate'])} answered both surveys, so results may not "
                    "represent everyone who took part.")
        if len(shown) and shown["n_pairs"].median() < SMALL_N:
            return "Caution: a small study; only large changes could be detected."
        if len(shown) and not self.has_comparison:
            return "Caution: no comparison group, so changes cannot be attributed to the programme alone."
        return None

    def at_a_glance(self):
        """The one-page "at a glance" card (HTML): key figures, the verdict, the equity finding, a compact chart.

        Key figures: participants enrolled, sessions and attendance (when recorded),
        participants who answered both surveys, outcomes improved and targets met.
        Counts go through :func:`evalkit.privacy.format_count`. The chart is the change
        figure (coloured by verdict) at a compact size, with its alt text.
        """
        from IPython.display import HTML

        from evalkit.pageone import at_a_glance_html, equity_headline, overall_verdict, verdict_counts

        r, a, k = self.retention, self.attendance, self.min_group_size
        kpis = [(format_count(r["n_enrolled"], k),
                 "program participants enrolled" if self._program_only else "participants enrolled")]
        if a["n_records"] and not a["suppressed"]:
            kpis += [(str(a["n_sessions"]), "sessions held"),
                     (format_pct(a["attendance_rate"]), "of expected sessions attended")]
        kpis.append((format_count(r["n_both"], k),
                     "program participants answered both surveys" if self._program_only else "answered both surveys"))
        findings = []
        if len(self.outcomes):
            c = verdict_counts(self.outcomes)
            shown = c["improved"] + c["worsened"] + c["unclear"]
            if shown:
                kpis.append((f"{c['improved']} of {shown}", "outcomes improved"))
            findings.append(overall_verdict(self.outcomes))
        elif self._stage_headline():   # no outcomes yet: say why, as the index card does
            findings.append(self._stage_headline())
        judged = self.all_targets[self.all_targets["verdict"].isin(["met", "not met", "inconclusive"])] if len(self.all_targets) else []
        if len(judged):
            more = len(self.all_targets) - len(judged)   # set but not judged yet: counted, not left out
            kpis.append((f"{int((judged['verdict'] == 'met').sum())} of {len(judged)}",
                         "targets met" + (f" ({more} more not yet judged)" if more else "")))
        findings += [equity_headline(self.group_differences, self.data), self._glance_caution()]
        chart = self.glance_chart()
        # in a box of its own, which a phone scrolls sideways rather than shrink the chart's type (trial 11 F9)
        # a chart taller than the card's cap (some 16 outcomes or more) is shown at its size, not shrunk into it
        tall = chart is not None and chart.figure.get_figheight() > _GLANCE_MAX
        figure = ("" if chart is None else '<div class="ek-figure-scroll">'
                  + chart.to_html("ek-figure ek-glance-chart" + (" ek-glance-tall" if tall else "")) + "</div>")
        return HTML(at_a_glance_html(kpis, findings, figure))

    def glance_chart(self):
        """The at-a-glance card's chart: the change figure (coloured by verdict) at a compact size, with its
        alt text (:class:`evalkit.figures.ReportFigure`); None when every outcome is suppressed.

        Method: 0.26 in a line of label plus 1.2 in for the title, axis and legend, at most 3.3 in, so the
        card keeps to page one. Squeezed under that cap, the rows, evenly spaced, must still part the tallest
        pair of neighbouring labels (by at least 0.005 in): where two-line labels would not be, each label is cut
        onto one line (its start and its scale's anchors, :func:`evalkit.figures.wrap_labels`); where even
        those would not be (from about 16 outcomes), the chart grows past the cap rather than print one label over
        another.
        """
        import matplotlib.pyplot as plt

        from evalkit.figures import ReportFigure, describe_change, report_style
        from evalkit.plots import plot_change

        if not len(self.outcomes) or self.outcomes["suppressed"].all():
            return None
        with report_style():
            for label_lines in (2, 1):
                fig = plot_change(self.outcomes, title="Change on each outcome", min_group_size=self.min_group_size,
                                  label_lines=label_lines)
                # a row a line of label, a wrapped label two (laid out when drawn)
                counts = [label.get_text().count("\n") + 1 for label in fig.axes[0].get_yticklabels()]
                # rows are evenly spaced, n - 0.3 of them over the axis (a third of a row's room at either end): a row
                # must hold half of each neighbour's label and a gap, for the tallest pair too; the frame (title,
                # ticks, axis label, legend) takes 1.03 in and each line of note 0.2 in
                pair = max([(_label_height(a) + _label_height(b)) / 2 for a, b in zip(counts, counts[1:])]
                           or [_label_height(counts[0])]) + _GLANCE_GAP
                notes = sum(t.get_text().count("\n") + 1 for t in fig.axes[0].texts)
                least = pair * max(len(counts) - 0.3, 1) + 1.03 + 0.2 * notes
                height = max(min(_GLANCE_LINE * sum(counts) + _GLANCE_FRAME, _GLANCE_MAX), least)
                if height <= _GLANCE_MAX or label_lines == 1:
                    break
                plt.close(fig)   # squeezed under the cap, two-line labels would print over each other: one line
            fig.set_size_inches(6.5, height)
            return ReportFigure(fig, describe_change(self.outcomes, min_group_size=self.min_group_size))

    def index_card(self):
        """The report's card on the run's index page (:func:`evalkit.pageone.index_card`), from page one's results.

        The same outcomes (the program group's, with a comparison group), target verdicts
        and retention as page one, so the index never says something the report does not.
        Displayed as the last output of the template; :func:`evalkit.batch.run_batch` reads it.
        """
        from evalkit.pageone import IndexCard, index_card

        return IndexCard(index_card(self.outcomes, self.all_targets, self.retention.get("retention_rate"),
                                    no_outcomes=self._stage_headline()))

    def _stage_headline(self) -> str | None:
        """Before the post survey (or without a baseline), why there is no change, in the report's own words: the
        stage note's first, bold sentence ("The post survey has not yet been collected."); None once complete."""
        import re

        why = re.match(r"\*\*(.+?)[.,]?\*\*", self.stage_note) if self.stage != "complete" else None
        return f"{why[1]}." if why else None

    def summary(self) -> str:
        """Page one in order of importance, as Markdown a partner director can read in two minutes.

        What the partnership did; the overall verdict and the verdict per outcome
        (significance-aware, :mod:`evalkit.pageone`); what the study could have
        detected where a change was not clear; targets met; the equity finding;
        the cautions that apply (attrition, small n, no comparison group).
        """
        from evalkit.pageone import detectable_sentence, outcome_lines, overall_verdict

        parts = []
        if self.stage != "complete":
            parts.append(self.stage_note)
        if len(self.outcomes) and self.outcomes["suppressed"].all():
            parts.append(f"**Too few participants to conclude anything:** fewer than {self.min_group_size} people "
                         "answered both surveys on every measure, so no outcome is reported.")
        parts.append(self._did())
        if self.has_comparison:   # the program effect relative to the comparison group, not the change
            parts.append(self.program_effect_summary())
        elif len(self.outcomes):
            if not self.outcomes["suppressed"].all():  # else said above: too few to report any outcome
                parts.append(f"**{overall_verdict(self.outcomes)}**")
            lines = outcome_lines(self.outcomes, alpha=self.alpha)
            if lines:
                parts.append("\n".join(lines))
            mde = detectable_sentence(self.outcomes, alpha=self.alpha)
            if mde:
                parts.append(mde)
        elif self.stage == "complete":
            parts.append("No measure was surveyed both before and after.")
        targets = self._targets_sentence()
        if targets:
            parts.append(targets)
        parts += self._equity_sentences()
        cautions = self._cautions()
        if cautions:
            parts.append("\n".join(f"- {c}" for c in cautions))
        return "\n\n".join(parts)

    def participation(self) -> str:
        r, a = self.retention, self.attendance
        k = self.min_group_size
        enrolled = "Program participants enrolled" if self._program_only else "Enrolled"
        lines = [f"- {enrolled}: {format_count(r['n_enrolled'], k)}; answered the "
                 f"{md_escape(wave_label(self.baseline_wave))} survey: "
                 f"{format_count(r['n_pre'], k)}; the {md_escape(wave_label(self.post_wave))} survey: "
                 f"{format_count(r['n_post'], k)}; both: "
                 f"{format_count(r['n_both'], k)} ({self._retention_words(r)})."]
        c = self._comparison_retention
        if c is not None:   # the arm is set apart: each of its counts is 0 or at least k (comparison_set_apart)
            e, b, see = (self._comparison_count("n_enrolled"), self._comparison_count("n_both"),
                         "see *Compared with a comparison group*")
            why = "so that the program's cannot be worked out from them"
            lines.append(f"- Not counted above, the {self._reference_words} (its counts are not shown, {why}; {see})."
                         if e == PROTECTED_LABEL else
                         f"- Not counted above, the {self._reference_words}: {e} enrolled (how many of them answered "
                         f"both surveys is not shown, {why}; {see})." if b == PROTECTED_LABEL else
                         f"- Not counted above, the {self._reference_words}: {e} enrolled, {b} of them answered both "
                         f"surveys ({see}).")
        elif self.has_comparison:
            lines[0] += self._too_small_words
        if a["n_records"] == 0:
            lines.append("- Attendance was not recorded.")
        elif a["suppressed"]:
            lines.append(f"- Attendance: too few participants in the log to report ({format_count(None, k)}).")
        else:
            lines.append(
                f"- Attendance: {a['n_sessions']} sessions; participants attended "
                f"{format_pct(a['attendance_rate'])} of sessions they were expected at "
                f"(95% CI {format_pct(a['rate_ci_low'])} to {format_pct(a['rate_ci_high'])}); "
                # the share is withheld (NaN) when fewer than k people attended that often: said, not a dash
                + ("the share attending at least three in four sessions is not shown: too few people to report."
                   if pd.isna(a["share_regular"])
                   else f"{format_pct(a['share_regular'])} attended at least three in four sessions."))
            dose = self._dose_sentence()
            if dose:
                lines.append(f"- {dose}")
        return "\n".join(lines)

    def _retention_words(self, r) -> str:
        """"retention 73%", or why there is none: no post survey yet, or withheld (too few people)."""
        if pd.notna(r.get("retention_rate")):
            return f"retention {format_pct(r['retention_rate'])}"
        if self.stage == "baseline only":
            return f"retention: the {md_escape(wave_label(self.post_wave))} survey has not yet been collected"
        return "retention not shown"

    def _dose_sentence(self) -> str | None:
        t = self.outcomes[~self.outcomes["suppressed"]]
        if t.empty:
            return None
        main = t.sort_values("n_pairs", ascending=False).iloc[0]
        res = dose_response(self._program_data, main["measure"], self.partnership_id, pre=self.baseline_wave,
                            post=self.post_wave, min_group_size=self.min_group_size)
        if res is None or pd.isna(res.r):
            return None
        # told as improvement, not as the sign of rho: for a measure where lower is better (stress), a negative
        # rho means those who attended more improved more
        better = (res.r > 0) == bool(main["higher_is_better"])
        # as the outcomes' verdicts: the test below alpha *and* the interval shown excluding 0 (the Fisher-z
        # interval and the test's p can fall on either side of the line, and alpha need not be 0.05)
        interval = pd.notna(res.ci_low) and pd.notna(res.ci_high)
        credible = (pd.notna(res.pvalue) and res.pvalue < self.alpha
                    and not (interval and res.ci_low <= 0 <= res.ci_high))
        finding = (f"those who attended more improved {'more' if better else 'less'}" if credible
                   else "no clear association")
        d = 2   # a credible interval's bound that rounds to 0 gets more decimals: "0.0004", not "0.00"
        while credible and interval and d < 6 and 0 in (round(res.ci_low, d), round(res.ci_high, d)):
            d += 1
        p = format_p(res.pvalue)
        return (f"Attendance and change in \"{md_escape(main['label'])}\": {finding} "
                f"(Spearman's rho = {format_number(res.r, d)}, "
                + ("no interval" if not interval
                   else f"95% CI {format_number(res.ci_low, d)} to {format_number(res.ci_high, d)}")
                + f", p {p if p.startswith('<') else '= ' + p}). "
                "An association does not show that attending caused the change.")

    def attendance_figure(self):
        from evalkit.figures import ReportFigure, describe_attendance, report_style
        from evalkit.plots import plot_attendance

        if self.attendance["n_records"] == 0:
            return None
        # the program's participants where a comparison arm is set apart, as the attendance rate beside it (trial 10)
        sessions = session_attendance(self._program_data, self.partnership_id, min_group_size=self.min_group_size)
        with report_style():
            return ReportFigure(plot_attendance(sessions, min_group_size=self.min_group_size), describe_attendance(sessions))

    @property
    def stage_note(self) -> str:
        """What the report cannot yet say and why (empty when baseline and post answers are both in)."""
        b, p = md_escape(wave_label(self.baseline_wave)), md_escape(wave_label(self.post_wave))
        return {
            "complete": "",
            "baseline only": (f"**The {p} survey has not yet been collected.** This is a baseline report: it "
                              f"describes participants at the {b} survey. Change will be reported once the {p} "
                              "survey is in."),
            "no baseline": (f"**No {b} survey was recorded**, so change cannot be measured: this report describes "
                            f"the answers at the {p} survey only."),
            "no answers": "**No survey answers are recorded yet** for this partnership's participants.",
            "no participants": "**No participants are recorded yet** for this partnership.",
        }[self.stage]

    def described_wave(self) -> pd.DataFrame:
        """The one wave with answers, described per measure (:func:`evalkit.describe_wave`), when change
        cannot be measured (stage ``baseline only`` or ``no baseline``); no rows otherwise."""
        wave = {"baseline only": self.baseline_wave, "no baseline": self.post_wave}.get(self.stage)
        if wave is None:
            return pd.DataFrame()
        return describe_wave(self._program_data, self.partnership_id, wave=wave, min_group_size=self.min_group_size)

    def outcomes_table(self) -> pd.DataFrame | None:
        """The outcomes table (per measure: n, pre, post, change, interval, test, effect size, verdict), or the
        one wave with answers described; None when there are no answers to describe (:meth:`outcomes_intro`
        then says why, once)."""
        if self.stage != "complete":
            return self._described_table()
        return self._named_waves(outcomes_table(self.outcomes, min_group_size=self.min_group_size).set_index("Measure"))

    def _described_table(self) -> pd.DataFrame | None:
        """:meth:`described_wave` formatted for the page: n, mean (SD) and the top-two share per measure;
        None when no wave has answers (the stage note, shown by :meth:`outcomes_intro`, says so)."""
        d = self.described_wave()
        if d.empty:
            return None
        k = self.min_group_size
        shown = ~d["suppressed"].astype(bool)
        return pd.DataFrame({
            "Measure": d["label"],   # a table cell, escaped as HTML by pandas (as the outcomes table's labels)
            "n": [format_count(n, k) for n in d["n"]],
            "Mean (SD)": [f"{format_number(m)} ({format_number(sd)})" if ok and pd.notna(m) else "\u2013"
                          for m, sd, ok in zip(d["mean"], d["sd"], shown)],
            "Top two answers": [format_pct(x) if ok and pd.notna(x) else "\u2013"
                                for x, ok in zip(d["top_two"], shown)],
        }).set_index("Measure")

    def change_figure(self):
        from evalkit.figures import ReportFigure, describe_change, report_style
        from evalkit.plots import plot_change

        if self.stage != "complete":
            return None
        with report_style():
            k = self.min_group_size   # the figure's note on measures left out states the report's own threshold
            return ReportFigure(plot_change(self.outcomes, min_group_size=k),
                                describe_change(self.outcomes, min_group_size=k))

    def distribution_figure(self):
        from evalkit.plots import plot_distributions

        from evalkit.figures import ReportFigure, describe_distributions, report_style

        if self.stage != "complete":
            return None
        measures = self.outcomes["measure"].tolist() or None
        with report_style():
            return ReportFigure(
                plot_distributions(self._program_data, self.partnership_id, measures, pre=self.baseline_wave,
                                   post=self.post_wave, min_group_size=self.min_group_size),
                describe_distributions(self._program_data, self.partnership_id, measures, pre=self.baseline_wave,
                                       post=self.post_wave, min_group_size=self.min_group_size))

    def distribution_figures(self) -> list:
        """The outcome distributions as the report shows them: one figure a row of up to three panels.

        The same panels as :meth:`distribution_figure`, in the same order, drawn a row at a
        time (:func:`evalkit.plots.plot_distributions` on each row's measures), so print can
        start them under the outcomes table and break the page between rows: one figure of
        three rows is 7.8 inches high and left the rest of the table's page blank. Each row
        has its own alt text (:func:`evalkit.figures.describe_distributions`); the last row
        also draws and says how many measures are not shown. With at most one row, the list
        holds :meth:`distribution_figure` itself.

        Returns
        -------
        list of evalkit.figures.ReportFigure
            Empty until the partnership has both surveys.
        """
        from evalkit.compare import scored_if_asked
        from evalkit.figures import ReportFigure, describe_distributions, distribution_panels, report_style
        from evalkit.plots import PANELS_A_ROW, plot_distributions

        if self.stage != "complete":
            return []
        measures = self.outcomes["measure"].tolist()
        kw = {"pre": self.baseline_wave, "post": self.post_wave, "min_group_size": self.min_group_size}
        _, shown, _ = distribution_panels(scored_if_asked(self._program_data, measures), self.partnership_id,
                                          measures, **kw)
        if len(shown) <= PANELS_A_ROW:
            return [self.distribution_figure()]
        rows = [shown[i:i + PANELS_A_ROW] for i in range(0, len(shown), PANELS_A_ROW)]
        withheld = [m for m in dict.fromkeys(measures) if m not in shown]   # noted under the last row
        figures = []
        with report_style():
            for i, row in enumerate(rows):
                asked = row + (withheld if i == len(rows) - 1 else [])
                figures.append(ReportFigure(
                    plot_distributions(self._program_data, self.partnership_id, asked, **kw),
                    describe_distributions(self._program_data, self.partnership_id, asked, **kw)))
        return figures

    def satisfaction(self) -> str:
        t = self.satisfaction_table
        if t.empty:
            return "Satisfaction was not surveyed."
        lines = []
        for _, r in t.iterrows():
            if r["suppressed"]:
                lines.append(f"- {md_escape(r['label'])}: too few responses to report ({format_count(None, self.min_group_size)}).")
            else:
                lines.append(f"- {md_escape(r['label'])}: {format_pct(r['top_two'])} chose one of the two most "
                             "positive answers "
                             f"(95% CI {format_pct(r['top_two_ci_low'])} to {format_pct(r['top_two_ci_high'])}; "
                             f"mean {format_number(r['mean'], 1)}, "
                             f"n = {r['n']}"
                             + ("; those who answered both surveys, as in the outcomes table"
                                if r["paired_only"] else "") + ").")
        if self._program_only:
            lines.insert(0, f"Only participants in the {self._program_words} are counted here.\n")
        elif self.has_comparison:
            lines.insert(0, self._too_small_words.strip() + "\n")
        return "\n".join(lines)

    def satisfaction_figure(self):
        from evalkit.plots import plot_response_shares

        t = self.satisfaction_table
        if t.empty or t["suppressed"].all():
            return None
        from evalkit.figures import ReportFigure, describe_response_shares, report_style

        measure = t["measure"].iloc[0]
        with report_style():
            return ReportFigure(
                plot_response_shares(self._satisfaction_data, self.partnership_id, measure, wave=self.post_wave,
                                     min_group_size=self.min_group_size),
                describe_response_shares(self._satisfaction_data, self.partnership_id, measure, wave=self.post_wave,
                                         min_group_size=self.min_group_size))

    def longterm(self, wave: str | None = None) -> str:
        """Long-term benefits: change from baseline to a follow-up wave, and measures asked only then.

        ``wave`` defaults to the last wave with the role ``followup`` (:attr:`evalkit.load.Dataset.wave_roles`).
        """
        wave = wave or self.followup_wave
        if wave is None or wave not in set(self.data.responses["wave"].unique()):
            return ("No follow-up survey was run for this partnership, so benefits after the programme ended "
                    "are not measured.")
        parts = []
        if self.baseline_wave in set(self.data.responses["wave"].unique()):
            lasting = compare_prepost(self._program_data, self.partnership_id, pre=self.baseline_wave, post=wave,
                                      alpha=self.alpha, min_group_size=self.min_group_size)
        else:  # no baseline answers (stage "no baseline"): what was asked at the follow-up is described alone
            lasting = pd.DataFrame({"measure": []})
            parts.append(f"No {md_escape(wave_label(self.baseline_wave))} survey was recorded, so change since the "
                         f"start cannot be measured. At the {md_escape(wave_label(wave))} survey:")
        if len(lasting):
            parts.append(f"Compared with the start, at the {md_escape(wave_label(wave))} survey:")
            parts.append(summary_paragraph(lasting, alpha=self.alpha, min_group_size=self.min_group_size,
                                           digits=2))   # as the summary and the change-over-time section
        asked = set(self.data.responses.loc[self.data.responses["wave"] == wave, "measure"].unique())
        only_then = sorted(asked - set(lasting["measure"]))
        if only_then:
            d = describe_wave(self._program_data, self.partnership_id, measures=only_then, wave=wave,
                              min_group_size=self.min_group_size)
            for _, r in d.iterrows():
                if r["suppressed"]:
                    parts.append(f"- {md_escape(r['label'])}: too few answers to report.")
                elif pd.notna(r["top_two"]):
                    parts.append(f"- {md_escape(r['label'])}: {format_pct(r['top_two'])} chose one of the two most "
                                 f"positive answers (95% CI {format_pct(r['top_two_ci_low'])} to "
                                 f"{format_pct(r['top_two_ci_high'])}, "
                                 f"n = {r['n']}).")
                else:
                    parts.append(f"- {md_escape(r['label'])}: mean {format_number(r['mean'], 1)} (n = {r['n']}).")
        return "\n\n".join(parts) if parts else f"Nothing was asked at the {md_escape(wave_label(wave))} survey."

    def targets_table(self):
        """Every target with its goal, estimate, interval, n and verdict (a DataFrame): the targets estimated
        from participants, then those on the partnership's own records (indicators: the latest or total
        value, no interval), so the table holds every target the summary counts (:attr:`all_targets`).
        Without targets, that fact in one sentence (:func:`evalkit.narrate.note`), not a one-cell table."""
        t = self.targets
        records = self._record_targets()
        if t.empty and records.empty:
            return note("No targets were recorded for this partnership.")
        kinds = dict(zip(self.data.measures["measure"], self.data.measures["kind"]))
        # a yes/no measure's mean is a share: shown in %, as the outcomes table shows it
        share = t["statistic"].isin(["mean_post", "mean_change"]) & t["indicator"].map(kinds).eq("binary")
        pct = t["statistic"].isin(["pct_improved", "pct_at_least", "rate"]) | share
        scale = share.map({True: 100.0, False: 1.0}).to_numpy(float)

        def digits(x, p, goal=None):  # a bound that rounds to the goal gets one more decimal: "40.2", not "40"
            n = 0 if p else 2
            if goal is not None and pd.notna(x) and round(x, n) == round(goal, n) and x != goal:
                n += 1
            return n

        def shown(x, p, goal=None, n=None):
            return format_number(x, digits(x, p, goal) if n is None else n) + ("%" if p and pd.notna(x) else "")

        def interval(lo, hi, p, goal):  # both bounds to the same decimals: "40.2 to 54.0%", not "40.2 to 54%"
            n = max(digits(lo, p, goal), digits(hi, p, goal))
            return f"{shown(lo, p, n=n).rstrip('%')} to {shown(hi, p, n=n)}"

        goals = t["target"].to_numpy(float) * scale
        hide = self._log_gives_arm_away
        survey = pd.DataFrame({
            "Target": [capitalise(str(d)) for d in t["description"]],
            "Indicator": t["label"],
            "Goal": [f"{g:g}{'%' if p else ''}" for g, p in zip(goals, pct)],
            "Observed": [shown(e, p) for e, p in zip(t["estimate"].to_numpy(float) * scale, pct)],
            "95% CI": ["\u2013" if pd.isna(lo) else interval(lo, hi, p, g)
                       for lo, hi, p, g in zip(t["ci_low"].to_numpy(float) * scale, t["ci_high"].to_numpy(float) * scale,
                                               pct, goals)],
            "n": ["\u2013" if v == "no data"   # nobody was counted
                  else format_count(None, self.min_group_size, protected=True) if hide and i == "attendance_rate"
                  else format_count(n, self.min_group_size)
                  for n, v, i in zip(t["n"], t["verdict"], t["indicator"])],
            "Verdict": t["verdict"].map(lambda v: UNJUDGED.get(v, v)),
        })
        return pd.concat([survey, records], ignore_index=True).set_index("Target")

    def _record_targets(self) -> pd.DataFrame:
        """The targets on partnership indicators (from :attr:`all_targets`), as rows of :meth:`targets_table`."""
        from evalkit.health_report import DASH, format_value
        from evalkit.schema import INDICATOR_STATISTICS

        t = self.all_targets
        t = t[t["statistic"].isin(INDICATOR_STATISTICS)] if len(t) else t
        return pd.DataFrame({
            "Target": [capitalise(str(d)) if pd.notna(d) else str(i) for d, i in zip(t.get("description", []),
                                                                                   t["indicator"])],
            "Indicator": [f"{lab} ({'latest period' if s == 'latest' else 'total'})"
                          for lab, s in zip(t.get("label", []), t["statistic"])],
            "Goal": [format_value(g, u) for g, u in zip(t.get("target", []), t.get("unit", []))],
            "Observed": ["not shown" if w else format_value(v, u)
                         for v, u, w in zip(t.get("value", []), t.get("unit", []), t.get("withheld", []))],
            "95% CI": "no interval", "n": DASH,  # records, not a sample: the section's intro says so
            "Verdict": [UNJUDGED.get(v, v) for v in t["verdict"]],
        }, columns=["Target", "Indicator", "Goal", "Observed", "95% CI", "n", "Verdict"])

    @section_once
    def subgroups(self) -> list[SubgroupSection]:
        sections = []
        if self.stage != "complete":
            return sections
        # the program's participants where the comparison arm is set apart, as the change rows beside them: every
        # arm's count of a group less its program count would give the arm's share of it away (trial 10)
        reps = representation_by_group(self._grouped(self._program_data), self.data.group_columns, self.partnership_id,
                                       pre=self.baseline_wave, post=self.post_wave, min_group_size=self.min_group_size,
                                       fold_unrecorded=False)  # folded already
        for col in self.data.group_columns:
            rep = relabel_groups(reps[col], col, self.data)   # report order and labels (evalkit.labels)
            rep_fmt = pd.DataFrame({
                "Group": rep["group"],
                # every blanked group reads "not shown", small or protecting a smaller one (privacy, rule 2)
                "Enrolled": [format_count(n, self.min_group_size, protected=protects(note))
                             for n, note in zip(rep["n_enrolled"], rep["note"])],
                "Share of enrolled": [format_pct(x) for x in rep["share_enrolled"]],
                "Share of completers": [format_pct(x) for x in rep["share_completers"]],
                "Retention": [format_pct(x) for x in rep["retention_rate"]],
            }).set_index("Group")
            out = relabel_groups(self.by_group[col], col, self.data, within="measure")
            out_fmt = outcomes_table(out, min_group_size=self.min_group_size).set_index(["Measure", "Group"])
            out_fmt = out_fmt[["n (pre / post / pairs)", "Pre", "Post", "Change", "95% CI", "Adjusted p", "Effect size"]]
            out_fmt = self._named_waves(out_fmt)
            heading = f"### By {md_escape(column_label(col, self.data))}"
            sections.append(SubgroupSection(col, heading, rep_fmt, out_fmt, _compact_by_group(rep_fmt, out)))
        return sections

    def group_tests_table(self) -> pd.DataFrame:
        """One row per characteristic: the groups compared and the outcomes where change differed across them.

        From :attr:`group_differences` (tests of change across the groups shown,
        Holm-adjusted across every characteristic and outcome). Characteristics
        with fewer than two groups large enough to show are listed as not tested.
        """
        d = self.group_differences
        rows = []
        for col in self.data.group_columns:
            g = d[d["group_variable"] == col]
            name = column_label(col, self.data)
            if g.empty:
                rows.append({"Characteristic": name, "Groups compared": "\u2013",
                             "Change differed on": "not tested: fewer than two groups large enough to show",
                             "Smallest adjusted p": "\u2013"})
                continue
            shown = self.by_group[col]
            shown = shown[~shown["suppressed"].astype(bool) & (shown["group"] != "Not recorded")]
            credible = g[g["credible"]]
            rows.append({
                "Characteristic": name,
                "Groups compared": str(shown["group"].nunique()),
                "Change differed on": f"{len(credible)} of {len(g)} outcomes",
                "Smallest adjusted p": format_p(g["p_adjusted"].min()),
            })
        columns = ["Characteristic", "Groups compared", "Change differed on", "Smallest adjusted p"]
        return pd.DataFrame(rows, columns=columns).set_index("Characteristic")  # no group column: no rows

    def results_by_group(self) -> list:
        """The **results by group** section, as things to display in order.

        First :meth:`group_tests_table` (does change differ across groups, per
        characteristic?), then the compact table of change by group of each
        characteristic where a difference is credible; the other characteristics'
        tables are folded into an appendix (a closed ``<details class="ek-appendix">``
        on screen, left out of print so the printed report stays short) and are in
        the Excel workbook (:meth:`tables`).
        """
        from IPython.display import Markdown

        if self.stage != "complete":
            why = self.stage_note.replace("**", "")
            return [Markdown("Results by group need answers at both surveys: " + why[:1].lower() + why[1:])]
        if not self.data.group_columns:
            return [Markdown("No characteristics of the participants (such as age group or gender) were recorded, "
                             "so results cannot be shown by group.")]
        credible = set(self.group_differences.loc[self.group_differences["credible"], "group_variable"])
        tested = set(self.group_differences["group_variable"])
        if not tested:  # every table would hold only dashes: say so once
            names = ", ".join(md_escape(column_label(c, self.data)) for c in self.data.group_columns)
            k = self.min_group_size
            return [Markdown(f"Change is not compared across groups: in every characteristic recorded ({names}), "
                             f"fewer than two groups had {k} or more participants answering both surveys, and groups "
                             f"of {format_count(None, k)} are not shown, to protect their members' privacy.")]
        intro = ("Did change differ across groups of participants? For each characteristic, a test of whether the "
                 "groups changed differently (analysis of variance of the changes for scores, Kruskal-Wallis for "
                 "ratings and yes/no answers), with p-values Holm-adjusted across every characteristic and outcome.")
        if credible:   # the tables are announced only where one follows (cafe-societe's had none)
            intro += (" Where a difference is credible, the table below it shows who took part, who stayed, and each "
                      "group's mean change (post minus pre, with matched pairs). A dash marks a group too small to "
                      "show, or one blanked so that a smaller group cannot be worked out by subtraction.")
        intro += " Every characteristic's full tables, with intervals and tests, are in the Excel workbook."
        out = [Markdown(intro), self.group_tests_table()]
        rest, named = [], {True: [], False: []}   # named: the appendix's characteristics, tested or not
        for section in self.subgroups():
            if section.variable in credible:
                out += [Markdown(section.heading), section.compact]
            else:
                rest.append((column_label(section.variable, self.data), section.compact))
                named[section.variable in tested].append(md_escape(rest[-1][0]))
        if rest:
            parts = [f"{', '.join(named[flag])} ({why})"
                     for flag, why in ((True, "no credible difference"),
                                       (False, "not tested: fewer than two groups large enough to show"))
                     if named[flag]]
            # print leaves the folded appendix out (report.css): the workbook is where a printed reader looks
            out.append(Markdown(f"Change by group for {' and for '.join(parts)} is in the Excel workbook, one "
                                "sheet per characteristic, and, on screen, in the appendix below."))
            out.append(_appendix("Change by group where no difference is credible", rest))
        return out

    def methods(self, *more: str) -> str:
        """The Methods section (Markdown): tests, corrections, power, privacy, this report's own sections'
        methods, then ``more`` (e.g. :meth:`evalkit.health_report.HealthSections.methods`), and last the
        data files and when and with which evalkit the report was produced."""
        from evalkit.arms import program_data

        # the program's answers where a comparison arm is set apart, as every other count (trial 10)
        items = (program_data(self.items, self.partnership_id, arms=self.arms, reference=self.reference)
                 if self._program_only else self.items)
        # the data files table shows no row count of a file of people or their answers (narrate.PEOPLE_TABLES)
        return methods_note(self.outcomes, self.items, alpha=self.alpha, min_group_size=self.min_group_size,
                            scales=scale_reliability(items, wave=self.baseline_wave), run_time=self.run_time,
                            design=self._design_text(), sections=(*self._methods_sections(), *filter(None, more)))

    # ---- waves and arms (issue 8) -----------------------------------------------------------------
    @cached_property
    def wave_order(self) -> list[str]:
        """This partnership's waves in analysis order (:func:`evalkit.waves.wave_order`)."""
        return self.data.wave_order

    @cached_property
    def wave_roles(self) -> dict[str, str]:
        """Wave -> role (``baseline``, ``post``, ``followup``) of this partnership's waves."""
        return self.data.wave_roles

    def _wave_with_role(self, role: str, last: bool = False) -> str | None:
        waves = [w for w in self.wave_order if self.wave_roles.get(w) == role]
        return (waves[-1] if last else waves[0]) if waves else None

    @property
    def baseline_wave(self) -> str:
        """The wave with the role ``baseline`` (``"pre"`` when the partnership has no answers)."""
        return self._wave_with_role("baseline") or "pre"

    @property
    def post_wave(self) -> str:
        """The wave with the role ``post`` (``"post"`` when there is none)."""
        return self._wave_with_role("post") or "post"

    @property
    def followup_wave(self) -> str | None:
        """The last wave with the role ``followup``, or None."""
        return self._wave_with_role("followup", last=True)

    def _named_waves(self, table: pd.DataFrame) -> pd.DataFrame:
        """An outcomes table's columns named after this partnership's waves (``Baseline``/``Endline``...)."""
        b, p = self.baseline_wave, self.post_wave
        if (b, p) == ("pre", "post"):
            return table
        return table.rename(columns={"n (pre / post / pairs)": f"n ({b} / {p} / pairs)", "Pre": capitalise(b),
                                     "Post": capitalise(p)})

    def outcomes_intro(self) -> str:
        """The sentence under the outcomes heading, in the data's wave names."""
        if self.stage != "complete":
            return self.stage_note
        b, p = md_escape(wave_label(self.baseline_wave)), md_escape(wave_label(self.post_wave))
        text = (f"Each row compares the same participants at the {b} and the {p} survey: "
                f"{md_escape(capitalise(self.baseline_wave))} and {md_escape(capitalise(self.post_wave))} are the means (for yes/no, "
                f"the share answering yes) of those who answered both, the pairs. Change is {p} minus {b}.")
        shown = self.outcomes[~self.outcomes["suppressed"].astype(bool)] if len(self.outcomes) else self.outcomes
        if "improvement_index" in shown and shown["improvement_index"].notna().any():
            # the one column a reader cannot read without its methods formula, (Phi(g) - 0.5) x 100
            text += (" Improvement index: +10 means the average participant moved from the 50th to the 60th "
                     f"percentile of the {b} scores.")
        if self._program_only:
            text += (f" Only participants in the {self._program_words} are counted here; how they compare with "
                     f"the {self._reference_words} is in its own section below.")
        elif self.has_comparison:
            text += self._too_small_words
        return text

    @cached_property
    def has_comparison(self) -> bool:
        """Whether the partnership has participants in the comparison arm and in another arm."""
        from evalkit.arms import has_comparison

        people = self.data.participants
        if self.arms not in people.columns:
            return False
        return has_comparison(self.data, self.partnership_id, arms=self.arms, reference=self.reference)

    @property
    def _program_words(self) -> str:
        levels = sorted(set(self.data.participants[self.arms].dropna().astype(str)) - {str(self.reference)})
        if levels == ["program"]:
            return "program group"
        return " and ".join(f"{md_escape(g)}" for g in levels) + " groups"

    @property
    def _reference_words(self) -> str:
        ref = str(self.reference)
        return "comparison group" if ref == "comparison" else f"{md_escape(ref)} group"

    @cached_property
    def _program_only(self) -> bool:
        """Whether the program's figures leave the comparison arm out: there is one, and it can be set apart.

        Enrolment, retention, attendance, outcomes, targets, *Results by group* and *Who was served* then count
        the program's participants only, and the arm's counts are said beside them, so the arm is set apart only
        when each of its counts is 0 or at least ``min_group_size`` (:func:`evalkit.arms.comparison_set_apart`);
        otherwise everyone is counted together, the participation section says so, and the comparison
        section, which then blanks every count of the arm anyway, says it is too small.
        """
        from evalkit.arms import comparison_set_apart

        return self.has_comparison and comparison_set_apart(
            self.data, self.partnership_id, arms=self.arms, reference=self.reference, pre=self.baseline_wave,
            post=self.post_wave, min_group_size=self.min_group_size)

    @property
    def _too_small_words(self) -> str:
        """The sentence saying the comparison arm is counted with the program group (see :attr:`_program_only`)."""
        return (f" The {self._reference_words} is too small to report apart (some of its counts are "
                f"{format_count(None, self.min_group_size)}), so its participants are counted here with the "
                f"{self._program_words}.")

    @cached_property
    def _reference_ids(self) -> set:
        """The participant ids of the comparison arm (empty when there is none)."""
        from evalkit.arms import comparison_ids

        return comparison_ids(self.data, self.partnership_id, arms=self.arms, reference=self.reference)

    @cached_property
    def _program_data(self):
        """The data without the comparison arm's participants, answers and attendance (all the data when there is
        no comparison group, or when it is too small to set apart: :attr:`_program_only`)."""
        from evalkit.arms import program_data

        if not self._program_only:
            return self.data
        return program_data(self.data, self.partnership_id, arms=self.arms, reference=self.reference)

    @cached_property
    def _log_gives_arm_away(self) -> bool:
        """Whether the number of people in the attendance log is withheld (the attendance target's n, the
        attendance file's rows in the data files table): a comparison arm counted with the programme (too small to
        set apart) that attends no session is the enrolled less the people in the log, when that is 1 to k - 1
        (trial 10: Harbor, 120 enrolled, 114 in the log, 1,368 rows over 12 sessions; a comparison group of 6)."""
        outside = len(self.data.participants) - self.data.attendance["participant_id"].nunique()
        return self.has_comparison and not self._program_only and 0 < outside < self.min_group_size

    @cached_property
    def _comparison_retention(self) -> pd.Series | None:
        """The comparison arm's enrolment and survey counts (:func:`evalkit.retention` of its participants), shown
        beside the program's when the arm is set apart (every count of it is then 0 or at least k); else None."""
        import dataclasses

        if not self._program_only:
            return None
        ref, d = self._reference_ids, self.data
        arm = dataclasses.replace(d, participants=d.participants[d.participants["participant_id"].isin(ref)],
                                  responses=d.responses[d.responses["participant_id"].isin(ref)])
        return retention(arm, self.partnership_id, pre=self.baseline_wave, post=self.post_wave,
                         min_group_size=self.min_group_size).iloc[0]

    # ---- change over time -----------------------------------------------------------------------
    def _design_text(self) -> str:
        b, p = md_escape(wave_label(self.baseline_wave)), md_escape(wave_label(self.post_wave))
        pairs = (f"**Design.** Comparison of the same participants at the {b} and the {p} survey (matched pairs: "
                 f"only people who answered both surveys enter a test). Change is {p} minus {b}.")
        if self._program_only:
            return (pairs + f" The outcomes table counts the {self._program_words} only; the program effect is "
                    f"estimated against the {self._reference_words} (see *Design with a comparison group* below).")
        if self.has_comparison:
            return pairs + self._too_small_words.replace(" here", " in the outcomes table")
        return pairs + " There is no comparison group, so changes cannot be attributed to the programme alone."

    def _methods_sections(self) -> tuple[str, ...]:
        from evalkit import arms, waves

        out = []
        if self.change_over_time().applicable:
            out.append(waves.methods_text(min_group_size=self.min_group_size))
        if self.has_comparison:
            out.append(arms.methods_text(min_group_size=self.min_group_size))
        return tuple(out)

    # ---- tables for analysts -------------------------------------------------------------------
    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table the report shows, formatted and privacy-protected as shown, by sheet name.

        Sheet names are Excel-safe (at most 31 characters, unique). Sections that
        add a table to the report add it here too, so the workbook matches the page.
        """
        out = {"Outcomes": self.outcomes_table(), "Targets": self.targets_table(),
               "By group - tests": self.group_tests_table()}
        out = {name: t for name, t in out.items() if isinstance(t, pd.DataFrame)}   # no sheet for "none recorded"
        for section in self.subgroups():
            name = humanise(section.variable)   # sheet names stay short (31 characters at most)
            out[f"By {name} - who"] = section.representation
            out[f"By {name} - change"] = section.outcomes
        over_time = self.change_over_time()
        if over_time.applicable:
            if over_time.comparisons is not None:
                out["Over time - vs baseline"] = over_time.comparisons
            out["Over time - who answered"] = over_time.retention
        arms = self.comparison_group()
        if arms.applicable:
            out.update({"Comparison - effect": arms.effects, "Comparison - baseline": arms.balance,
                        "Comparison - attrition": arms.attrition})
        return _excel_sheet_names(out)

    def save_tables(self, path):
        """Write :meth:`tables` to an Excel workbook, one sheet per table, atomically.

        The first sheet, *About*, names the partnership, the run time and the
        suppression rule. Values are the report's formatted, suppressed values
        (text such as "fewer than 10"), never row-level data.

        Parameters
        ----------
        path : str or Path
            The ``.xlsx`` file to write (its folder must exist).

        Returns
        -------
        Path

        Examples
        --------
        >>> import evalkit as ek  # doctest: +SKIP
        >>> report = ek.report.PartnershipReport(ek.load_data("data/sample"), "riverside-literacy")  # doctest: +SKIP
        >>> report.save_tables("riverside-literacy.xlsx")  # doctest: +SKIP
        PosixPath('riverside-literacy.xlsx')
        """
        from evalkit.workbook import check_workbook_path, write_workbook

        check_workbook_path(path)  # before the tables are computed: a wrong name costs nothing
        about = pd.DataFrame({"": ["Partnership", "Partnership id", "Tables computed", "Privacy"],
                              "About these tables": [
                                  str(self.info["name"]), self.partnership_id,
                                  f"{self.run_time:%Y-%m-%d %H:%M %Z}".strip(),
                                  f"Results for groups of fewer than {self.min_group_size} people are not shown "
                                  "(the cell says why), as in the report."]}).set_index("")
        return write_workbook(path, {"About": about, **self.tables()})


# The portfolio summary has its own module; ``ek.report.PortfolioReport`` is where templates find it.
from evalkit.report_portfolio import PortfolioReport  # noqa: E402

__all__ = ["PartnershipReport", "PortfolioReport", "headline", "SubgroupSection", "ChangeOverTimeSection", "ComparisonSection"]
