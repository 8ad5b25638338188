"""Plain language: sentences a community partner can read, and tables formatted for reports.

Everything here turns analysis results (tidy DataFrames) into text; nothing is
computed from raw data. Effect-size words follow common conventions:

* Cohen's d_z: negligible < 0.2 <= small < 0.5 <= moderate < 0.8 <= large (Cohen, 1988)
* rank-biserial r: negligible < 0.1 <= small < 0.3 <= moderate < 0.5 <= large
* odds ratio (either direction): negligible < 1.68 <= small < 3.47 <= moderate < 6.71 <= large
  (Chen, Cohen & Chen, 2010)
"""
from __future__ import annotations

import datetime as _dt
import html
import math
import re

import pandas as pd

from evalkit.privacy import DEFAULT_MIN_GROUP_SIZE, PROTECTED_LABEL, format_count
from evalkit.scales import scale_label

_BANDS = {
    "d": (0.2, 0.5, 0.8),
    "r": (0.1, 0.3, 0.5),
    "or": (1.68, 3.47, 6.71),
}

#: Tables whose rows are participants or their answers: the Data files table shows no row count for them
#: (privacy rule 8 of the data contract).
PEOPLE_TABLES = frozenset({"participants", "responses", "attendance", "comments", "stories", "partner_survey"})


def effect_label(effect_size: float, effect_size_name: str) -> str:
    """Word for an effect size's magnitude: ``negligible``, ``small``, ``moderate`` or ``large``.

    Parameters
    ----------
    effect_size : float
        The effect size (sign ignored; odds ratios below 1 are inverted).
    effect_size_name : str
        Its name as evalkit results give it; names containing ``"odds"`` use
        odds-ratio bands, ``"rank"`` rank-biserial bands, anything else Cohen's d bands.
    """
    if effect_size is None or not math.isfinite(effect_size):
        return "undetermined"
    name = (effect_size_name or "").lower()
    if "odds" in name:
        if effect_size <= 0:
            return "undetermined"
        size, bands = max(effect_size, 1 / effect_size), _BANDS["or"]
    else:
        size, bands = abs(effect_size), _BANDS["r" if "rank" in name else "d"]
    words = ["negligible", "small", "moderate", "large"]
    return words[sum(size >= b for b in bands)]


def capitalise(text: str) -> str:
    """``text`` with its first letter in capitals and the rest as given, for a value that starts a sentence.

    Unlike :meth:`str.capitalize`, which lowercases the rest ("NGO staff" -> "Ngo staff").

    Examples
    --------
    >>> capitalise("fewer than 10"), capitalise("the CBT group")
    ('Fewer than 10', 'The CBT group')
    """
    return text[:1].upper() + text[1:]


def note(text: str):
    """One sentence standing in for a table that has nothing to show, as Markdown a notebook displays as text.

    Where a report section has no rows to tabulate, its table method returns this
    instead of a one-cell table (the sentence as the index under an empty header
    row). ``text`` is Markdown, already escaped where it holds data.

    Examples
    --------
    >>> note("No targets were recorded for this partnership.")._repr_markdown_()
    'No targets were recorded for this partnership.'
    """
    from IPython.display import Markdown  # here, not at import: `import evalkit` stays fast

    return Markdown(text)


def md_escape(text) -> str:
    """Escape text that came from data for safe use in Markdown (and the HTML it becomes).

    Names and labels come from users' files; a name such as ``<script>`` or
    ``**x**`` must show as typed, never run or restyle the report.
    """
    out = re.sub(r"([\\`*_{}\[\]()#+!|~])", r"\\\1", str(text))
    return html.escape(out, quote=False)


def _num(x: float, digits: int = 1) -> str:
    """``x`` to ``digits`` decimals, a true minus sign, none on a value rounding to zero ("0.00", not "-0.00")."""
    text = f"{x:.{digits}f}"
    if text.startswith("-"):
        text = text[1:] if float(text) == 0 else "\u2212" + text[1:]
    return text


def _scale(row) -> str:
    return f"{_num(row['scale_min'], 0)}-{_num(row['scale_max'], 0)}"


def _bounded(row) -> bool:
    """Whether the measure declares its scale (continuous measures may leave ``scale_min``/``scale_max`` blank)."""
    lo, hi = row.get("scale_min"), row.get("scale_max")
    return lo is not None and hi is not None and not pd.isna(lo) and not pd.isna(hi)


def interval_words(row, lo: str, hi: str, level: str = "95% CI", unit: str = "") -> str:
    """``"95% CI <lo> to <hi><unit>"`` for a row of :func:`evalkit.compare_prepost`, or why it has no interval.

    ``lo`` and ``hi`` are the bounds already formatted; they are used only when the row's
    ``ci_low``/``ci_high`` are finite. When every participant changed by the same amount
    (SD of the changes 0) the paired t interval is undefined and the words say so.

    Examples
    --------
    >>> interval_words({"ci_low": 0.1, "ci_high": 0.5}, "0.10", "0.50")
    '95% CI 0.10 to 0.50'
    >>> interval_words({"ci_low": float("nan"), "ci_high": float("nan"), "sd_change": 0.0, "mean_change": 1.0}, "", "")
    'every participant changed by the same amount, so no interval'
    """
    if math.isfinite(row["ci_low"]) and math.isfinite(row["ci_high"]):
        return f"{level} {lo} to {hi}{unit}"
    if row.get("sd_change") == 0:
        if row.get("mean_change") != 0:
            return "every participant changed by the same amount, so no interval"
        end = _scale_end(row)   # nobody changed: say so, and why when everyone sat at one end of the scale
        return (f"every participant gave the {end} possible answer at both surveys" if end
                else "no participant changed") + ", so no interval"
    return "no interval"


def _scale_end(row) -> str | None:
    """``"best"`` or ``"worst"`` when the pre mean sits at an end of the measure's scale (everyone answered it), else
    None. A yes/no measure's scale is 0 to 1."""
    pre, hib = row.get("mean_pre"), row.get("higher_is_better", True)
    if pre is None or pd.isna(pre) or not _bounded(row):
        return None
    top, bottom = float(row["scale_max"]), float(row["scale_min"])
    if pre == top:
        return "best" if hib else "worst"
    if pre == bottom:
        return "worst" if hib else "best"
    return None


def _holds(row, null: float) -> bool:
    """Whether ``row``'s interval (``ci_low`` to ``ci_high``) holds ``null``; False when it has no interval."""
    lo, hi = row.get("ci_low", math.nan), row.get("ci_high", math.nan)
    return lo is not None and hi is not None and bool(pd.notna(lo) and pd.notna(hi) and lo <= null <= hi)


def describe_change(row, *, alpha: float = 0.05, conf_level: float = 0.95, digits: int = 1,
                    min_group_size: int = DEFAULT_MIN_GROUP_SIZE) -> str:
    """One sentence on one outcome row of :func:`evalkit.compare_prepost`.

    The sentence states the direction and size of the change on the measure's
    own scale, its interval, the effect-size word and whether chance is a
    plausible explanation (from the multiplicity-adjusted p-value). A measure
    without declared scale bounds (a continuous measure may leave them blank) is
    described in its own units, as its label gives them, with no scale invented.

    Examples
    --------
    "Skills scores rose by 0.6 points on a 1-5 scale (95% CI 0.3 to 0.9), a
    moderate change unlikely to be due to chance."
    """
    label = md_escape(row["label"])
    level = f"{round(conf_level * 100)}% CI"
    if row.get("suppressed", False):
        # the label often ends in a parenthesis ("Skills (1-5)"): the count follows a colon, not a second one
        return (f"{label}: {format_count(None, min_group_size)} participants answered both surveys, "
                "too few to report.")
    change = row["mean_change"]
    if not math.isfinite(change):
        return f"{label} could not be compared: {row.get('note') or 'no matched responses'}."
    p = row["p_adjusted"] if math.isfinite(row.get("p_adjusted", math.nan)) else row["pvalue"]
    # as the verdicts: the test below alpha *and* the interval shown excluding 0 (at alpha 0.1 an adjusted p of
    # 0.07 said "unlikely" beside a 95% interval holding 0)
    chance = ("unlikely to be due to chance" if math.isfinite(p) and p < alpha and not _holds(row, 0.0)
              else "that could be due to chance")
    g = row.get("g", math.nan)
    # continuous measures: the size word from Hedges' g (pre-test SD units), the effect size readers compare
    size = (effect_label(g, "Hedges' g") if g is not None and pd.notna(g)
            else effect_label(row["effect_size"], row["effect_size_name"]))
    if row["kind"] == "binary":
        lo, hi = 100 * row["mean_pre"], 100 * row["mean_post"]
        verb = "rose" if hi > lo else "fell" if hi < lo else "stayed"
        what = (f"The share answering yes to \"{label}\" {verb} from {lo:.0f}% to {hi:.0f}%"
                if verb != "stayed" else f"The share answering yes to \"{label}\" stayed at {lo:.0f}%")
        ci = interval_words(row, _num(100 * row["ci_low"], 0), _num(100 * row["ci_high"], 0), level,
                            " percentage points")
        return f"{what} ({ci}), a {size} change {chance}."
    rounded = round(abs(change), digits)
    verb = "rose" if change > 0 else "fell"
    if not _bounded(row):  # no scale declared: the measure's own units (e.g. "Body weight (lb)")
        head = (f"{label}: the mean barely changed ({_num(change, digits + 1)}" if rounded == 0
                else f"{label}: the mean {verb} by {_num(rounded, digits)}")
    elif rounded == 0:
        head = f"{label} scores barely changed ({_num(change, digits + 1)} points on a {_scale(row)} scale"
    else:
        head = f"{label} scores {verb} by {_num(rounded, digits)} points on a {_scale(row)} scale"
    ci = interval_words(row, _num(row["ci_low"], digits), _num(row["ci_high"], digits), level)
    head = f"{head} ({ci})" if rounded != 0 else f"{head}, {ci})"
    better = "" if rounded == 0 else (
        ", an improvement" if row["direction"] == "improved" and not row["higher_is_better"] else "")
    return f"{head}{better}, a {size} change {chance}."


def summary_paragraph(table: pd.DataFrame, **kwargs) -> str:
    """The outcome sentences of a whole :func:`evalkit.compare_prepost` table, as one Markdown list."""
    return "\n".join(f"- {describe_change(row, **kwargs)}" for _, row in table.iterrows())


def format_number(x, digits=2, pct=False) -> str:
    """A number for a report table: fixed decimals (or a whole percent), a true minus sign, a dash when missing,
    and an infinite value as such (an odds ratio of change when every change went one way: "0.92 to \u221e").

    Examples
    --------
    >>> format_number(-0.456), format_number(None), format_number(float("inf")), format_number(-float("inf"))
    ('\u22120.46', '\u2013', '\u221e', '\u2212\u221e')
    """
    if x is None or pd.isna(x):
        return "\u2013"
    if isinstance(x, (float, int)) and math.isinf(x):  # numpy floats are floats
        return "\u221e" if float(x) > 0 else "\u2212\u221e"
    if pct:
        return f"{100 * x:.0f}%"
    return _num(float(x), digits)


def format_change(x, kind: str = "continuous", digits: int = 2, *, words: bool = False) -> str:
    """A mean change with its sign, as every table and sentence of a report gives it.

    A yes/no measure's change (a difference of shares) is in percentage points, whole ones:
    ``"−9 pts"`` (``"−9 percentage points"`` with ``words``); other measures' in their own
    units to ``digits`` decimals. A change that rounds to zero has no sign (``"0.00"``, not
    ``"+0.00"``); a missing one is a dash.

    Examples
    --------
    >>> format_change(0.25), format_change(-0.09, "binary"), format_change(0.004), format_change(0.1, "binary", words=True)
    ('+0.25', '−9 pts', '0.00', '+10 percentage points')
    """
    if x is None or pd.isna(x):
        return "\u2013"
    binary = kind == "binary"
    value, places = (100 * float(x), 0) if binary else (float(x), digits)
    text = _num(value, places)
    if round(value, places) > 0:
        text = "+" + text
    return text + ((" percentage points" if words else " pts") if binary else "")


def verdict_word(verdict) -> str:
    """An outcome's verdict as a report says it: compare_prepost's "declined" reads "worsened", as the summary
    says, since beside a rise in a measure where lower is better (stress) "declined" reads as the measure falling;
    "suppressed" (jargon that sounds like hiding results) reads "not shown", privacy's one label for what is
    withheld.

    Examples
    --------
    >>> verdict_word("declined"), verdict_word("improved"), verdict_word("suppressed")
    ('worsened', 'improved', 'not shown')
    """
    return {"declined": "worsened", "suppressed": "not shown"}.get(verdict, verdict)


def format_date(d, short: bool = False) -> str:
    """A date for a report: day without a leading zero, month name, year; a dash when missing.

    Examples
    --------
    >>> format_date("2025-06-09"), format_date("2025-06-09", short=True), format_date(None)
    ('9 June 2025', '9 Jun 2025', '–')
    """
    if d is None or pd.isna(d):
        return "\u2013"
    d = pd.Timestamp(d)
    return f"{d.day} {d:%b %Y}" if short else f"{d.day} {d:%B %Y}"


def format_pct(x) -> str:
    """A share (0 to 1) as a whole percent for a report, a dash when missing.

    Examples
    --------
    >>> format_pct(0.456), format_pct(None)
    ('46%', '–')
    """
    return format_number(x, pct=True)


def format_p(p) -> str:
    """A p-value for a report: three decimals, ``< 0.001`` below that, a dash when missing."""
    if p is None or pd.isna(p):
        return "\u2013"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def format_test(row) -> str:
    """The test's name with its statistic and unadjusted p, as a paper cites it.

    ``"paired t, t(206) = 6.78, p < 0.001"``. Wilcoxon's V is the sum of the ranks
    of the positive changes (as R reports it); McNemar's chi-square has 1 df; the
    exact McNemar test has no statistic to cite, only its p.

    Parameters
    ----------
    row : mapping
        A row of :func:`evalkit.compare_prepost` (``test``, ``statistic``, ``df``, ``pvalue``).

    Returns
    -------
    str

    Examples
    --------
    >>> format_test({"test": "paired t", "statistic": 6.781, "df": 206.0, "pvalue": 0.0004})
    'paired t, t(206) = 6.78, p < 0.001'
    """
    name, stat, df = row["test"], row.get("statistic"), row.get("df")
    p = row.get("pvalue")
    p_text = "" if p is None or pd.isna(p) else (
        f", p {format_p(p)}" if format_p(p).startswith("<") else f", p = {format_p(p)}")
    if stat is None or pd.isna(stat) or not math.isfinite(float(stat)):
        return name + p_text
    if name == "paired t" and df is not None and pd.notna(df):
        return f"{name}, t({df:.0f}) = {_num(float(stat), 2)}{p_text}"
    if name.startswith("Wilcoxon"):
        return f"{name}, V = {float(stat):.0f}{p_text}"
    if name == "McNemar" and df is not None and pd.notna(df):
        return f"{name}, \u03c7\u00b2({df:.0f}) = {float(stat):.2f}{p_text}"
    return name + p_text


def _has_g(r) -> bool:
    return "g" in r.index and pd.notna(r["g"])


def _effect_cell(r) -> str:
    """Hedges' g (with d_z beside it) for continuous measures, else the kind's effect size and its name."""
    if _has_g(r):
        dz = "" if pd.isna(r["effect_size"]) else f" (d_z = {format_number(r['effect_size'])})"
        return f"g = {format_number(r['g'])}{dz}"
    if pd.isna(r["effect_size"]):
        return "\u2013"
    if "odds" in str(r["effect_size_name"]) and math.isinf(float(r["effect_size"])):
        # (no -> yes) / (yes -> no) with nobody changing from yes to no: "∞" reads as an error
        return f"not defined: nobody changed from yes to no ({r['effect_size_name']})"
    return f"{format_number(r['effect_size'])} ({r['effect_size_name']})"


def _effect_interval(lo, hi) -> str:
    """An effect size's interval, "1.18 or more" when it has no upper end (an odds ratio of change with nobody
    changing from yes to no), never "1.18 to ∞"."""
    if pd.isna(lo):
        return "\u2013"
    if math.isinf(float(hi)) and hi > 0:
        return f"{format_number(lo)} or more"
    return f"{format_number(lo)} to {format_number(hi)}"


def _withheld_count(row, column: str, min_group_size: int) -> str:
    """A count of a comparison row: the number, "fewer than k" when it is known to be under k (the matched
    pairs of a row suppressed for having too few), else "not shown" (blanked with its row, e.g. to protect a
    smaller group: :data:`evalkit.privacy.PROTECTED_LABEL`)."""
    small = str(row.get("note") or "").startswith("suppressed: fewer than")
    blanked = pd.isna(row[column]) and bool(row.get("suppressed")) and not (column == "n_pairs" and small)
    return format_count(row[column], min_group_size, protected=blanked)


def outcomes_table(table: pd.DataFrame, *, min_group_size: int = DEFAULT_MIN_GROUP_SIZE) -> pd.DataFrame:
    """Format a :func:`evalkit.compare_prepost` table for a report (strings, readable headers)."""
    def ci(lo, hi, pct=False):
        return "\u2013" if pd.isna(lo) else f"{format_number(lo, pct=pct)} to {format_number(hi, pct=pct)}"

    rows = []
    for _, r in table.iterrows():
        binary = r["kind"] == "binary"
        rows.append({
            "Measure": r["label"],
            **({"Group": r["group"]} if r.get("group_variable") else {}),
            "Test": format_test(r),
            "n (pre / post / pairs)": " / ".join(_withheld_count(r, c, min_group_size)
                                                 for c in ("n_pre", "n_post", "n_pairs")),
            "Pre": format_number(r["mean_pre"], pct=binary),
            "Post": format_number(r["mean_post"], pct=binary),
            "Change": (format_number(100 * r["mean_change"], 0) + " pts") if binary and pd.notna(r["mean_change"]) else format_number(r["mean_change"]),
            "95% CI": (f"{format_number(100 * r['ci_low'], 0)} to {format_number(100 * r['ci_high'], 0)} pts" if binary and pd.notna(r["ci_low"])
                       else ci(r["ci_low"], r["ci_high"])),
            "Adjusted p": format_p(r["p_adjusted"]),
            "Effect size": _effect_cell(r),
            "Effect 95% CI": (ci(r["g_ci_low"], r["g_ci_high"]) if _has_g(r)
                              else _effect_interval(r["effect_ci_low"], r["effect_ci_high"])),
            "Improvement index": (f"{r['improvement_index']:+.0f}".replace("-", "\u2212")
                                  if _has_g(r) and pd.notna(r.get("improvement_index")) else "\u2013"),
            # significance-aware: "improved"/"worsened" only when chance is ruled out (compare_prepost's verdict)
            "Verdict": verdict_word(r["verdict"] if "verdict" in r.index else r["direction"]),
        })
    return pd.DataFrame(rows)


def methods_note(table: pd.DataFrame, data=None, *, alpha: float = 0.05, correction: str = "holm",
                 min_group_size: int = DEFAULT_MIN_GROUP_SIZE, conf_level: float = 0.95,
                 scales: pd.DataFrame | None = None, run_time: _dt.datetime | None = None,
                 design: str | None = None, sections: tuple[str, ...] = ()) -> str:
    """The report's methods note, as Markdown: tests, corrections, privacy rule, power, scales, provenance.

    Parameters
    ----------
    table : pandas.DataFrame
        The outcomes table the report shows (from :func:`evalkit.compare_prepost`).
    data : evalkit.load.Dataset, optional
        Adds each input file with its SHA-256 checksum and row count.
    scales : pandas.DataFrame, optional
        :func:`evalkit.scales.scale_reliability` of the report's multi-item scales: adds how
        they were scored and their Cronbach's alpha (scales measured on fewer than
        ``min_group_size`` people say so instead).
    design : str, optional
        The design paragraph, replacing the default one (a pre/post comparison with no
        comparison group), e.g. when the partnership has a comparison group.
    sections : tuple of str
        Methods paragraphs of further sections (change over time, comparison group),
        added after the privacy rule.
    """
    from evalkit._version import __version__
    from evalkit.stats import minimum_detectable_effect

    kinds = sorted(set(table["kind"])) if len(table) else []
    tests = {
        "continuous": "paired t-test, cited as t(df); effect size Hedges' g = J x mean change / pre-test SD "
                      "(J = 1 - 3/(4 df - 1), df = pairs - 1: the WWC's omega), interval g \u00b1 z "
                      "\u221a(2(1 - r)/n + g\u00b2/2n), r the pre/post correlation (Becker 1988); WWC improvement index "
                      "(\u03a6(g) - 0.5) \u00d7 100; Cohen's d_z (mean change / SD of changes) beside it",
        "ordinal": "Wilcoxon signed-rank test (zero changes dropped; exact p-value when under 50 pairs without ties), "
                   "effect size the matched-pairs rank-biserial r, its own family with its own size words "
                   "(r: 0.1 small, 0.3 moderate, 0.5 large; g, d: 0.2, 0.5, 0.8), not comparable with g",
        "binary": "McNemar's test (exact binomial version when fewer than 25 participants changed), "
                  "effect size the odds ratio of change (participants changing from no to yes / from yes to no; "
                  "not defined when nobody changed from yes to no), with its exact interval",
    }
    lines = [design or ("**Design.** Pre/post comparison of the same participants (matched pairs: only people who "
                        "answered both surveys enter a test). Change is post minus pre. There is no comparison "
                        "group, so changes cannot be attributed to the programme alone.")]
    lines.append("**Tests, chosen from each measure's declared kind before looking at the data.**")
    lines += [f"- {k}: {tests[k]}." for k in kinds]
    lines.append(f"- Intervals are {round(conf_level * 100)}% confidence intervals; the interval of the mean change is the "
                 "paired t interval for every kind of measure.")
    if "test" in table and (table["test"] == "sign test (exact)").any():
        lines.append("- Where every participant changed by the same amount there is no t interval or t test; the exact "
                     "sign test (every change in one direction, against a coin toss for each) takes its place.")
    lines.append(f"- p-values are adjusted across this report's measures with the {correction.title()} method; "
                 f"'unlikely to be due to chance' means an adjusted p below {alpha}.")
    n = table["n_pairs"].dropna()
    if len(n):
        med = int(n.median())
        if med >= 2:
            mde = minimum_detectable_effect(med, alpha=alpha, power=0.8)
            lines.append(f"- With the median of {med} matched pairs over all outcomes, the smallest standardized "
                         "change (d_z) this "
                         f"report could reliably detect (80% power, two-sided alpha {alpha}) is {mde:.2f}.")
    lines.append(f"- **Privacy.** Results for any group of fewer than {min_group_size} participants are not shown, "
                 "and no individual is shown. The answers of a group of at least "
                 f"{min_group_size} are described in full, so the share choosing one answer may stand for fewer "
                 "people." if min_group_size > 1 else
                 "- **Privacy.** No minimum group size was set (1): results are shown for groups of any size, so a "
                 "group's figures may describe a single participant. Do not publish this report as it is.")
    lines += [f"\n{text}" for text in sections]
    if scales is not None and len(scales):
        lines.append("\n**Scales.** Items forming one scale are averaged (reverse-worded items flipped first) and "
                     "the scale score is analysed as a continuous measure. Internal consistency at baseline:")
        for _, r in scales.iterrows():
            if pd.isna(r["alpha"]) or r["n"] < min_group_size:
                lines.append(f"- {md_escape(scale_label(r['scale'], r['n_items']))}: not enough complete answers to "
                             "estimate.")
            else:
                ci = ("no interval" if pd.isna(r["ci_low"]) else
                      f"95% CI {format_number(r['ci_low'])} to {format_number(r['ci_high'])}")
                lines.append(f"- {md_escape(scale_label(r['scale'], r['n_items']))}: Cronbach's alpha "
                             f"{format_number(r['alpha'])} ({ci}, n = {r['n']}).")
    when = (run_time or _dt.datetime.now(_dt.timezone.utc)).strftime("%Y-%m-%d %H:%M UTC")
    produced = f"Produced by evalkit {__version__} on {when}"
    if data is not None and getattr(data, "sources", None):
        # the colophon leads into the data files table, the last thing of the report: print keeps a short table
        # with the paragraph before it, and nothing is left to stand alone on a last page (trial 12)
        withheld = (" Row counts of files whose rows are participants or their answers are not shown: with the "
                    "number of questions each survey asked, they would give counts this report withholds."
                    if PEOPLE_TABLES & set(data.sources) else "")
        lines.append(f"\n**Data files.** {produced} from these files.{withheld}\n")
        lines.append("| file | rows used | SHA-256 of the whole file |\n|---|---:|---|")
        for table, src in data.sources.items():
            # rows of people or their answers: with the questions each survey asked, a row count gives counts the
            # report withholds (trial 12: 240 answers, 20 x 9 at pre, gave 5 at post and 5 at the follow-up)
            rows = (PROTECTED_LABEL if table in PEOPLE_TABLES else
                    f"{src.n_rows:,}" if isinstance(src.n_rows, int) else src.n_rows)
            lines.append(f"| {src.path.name if hasattr(src.path, 'name') else src.path} | {rows} | `{src.sha256}` |")
    else:
        lines.append(f"\n{produced}.")
    return "\n".join(lines)


def heterogeneity_sentence(row, *, alpha: float = 0.05, what: str = "change", digits: int = 2, unit: str = "") -> str:
    """How much partnerships differ, in words that follow I^2 and Cochran's Q test, and the prediction interval.

    Parameters
    ----------
    row : mapping
        A row of :func:`evalkit.portfolio.pooled_changes` (``k, I2, Q, Q_df, Q_pvalue, pi_low, pi_high, pi_df, conf_level``).
    alpha : float
        Level of the Q test.
    what : str
        What is pooled ("change", "program effect").
    digits, unit : int, str
        Decimals and unit of the prediction interval (a yes/no measure's changes in
        percentage points: ``0, " percentage points"``, the row already scaled by 100).

    Returns
    -------
    str
        "Partnerships differ more than chance would explain" only when the Q test is
        significant; "no evidence that partnerships differ" when it is not and I^2 is
        below 25% (with the caution that the test has little power with few
        partnerships); "may differ" in between. Then the prediction interval with its
        method, when there is one.

    Examples
    --------
    >>> heterogeneity_sentence({"k": 3, "I2": 0.0, "Q": 0.4, "Q_df": 2.0, "Q_pvalue": 0.82, "pi_low": -0.5,
    ...                         "pi_high": 2.5, "pi_df": 1.0, "conf_level": 0.95})[:45]
    'There is no evidence that partnerships differ'
    """
    k, i2, qp = row.get("k"), row.get("I2"), row.get("Q_pvalue")
    if k is None or pd.isna(qp) or pd.isna(i2):
        return f"With {k} partnership{'s' if k != 1 else ''}, how much partnerships differ cannot be judged."
    p_text = format_p(qp)
    p_text = f"p {p_text}" if p_text.startswith("<") else f"p = {p_text}"
    stat = f"I\u00b2 = {i2:.0f}%, Q({row['Q_df']:.0f}) = {row['Q']:.1f}, {p_text}"
    if qp < alpha:
        text = f"Partnerships differ more than chance would explain ({stat})"
    elif i2 < 25:
        text = (f"There is no evidence that partnerships differ ({stat}), though with {k} partnerships the test "
                "could miss real differences")
    else:
        text = f"Partnerships may differ ({stat}), but chance cannot be ruled out"
    level = round(100 * row.get("conf_level", 0.95))
    if pd.notna(row.get("pi_low")):
        text += (f": a new partnership's {what} would be expected between {format_number(row['pi_low'], digits)} and "
                 f"{format_number(row['pi_high'], digits)}{unit} ({level}% prediction interval, t with k \u2212 2 = "
                 f"{row['pi_df']:.0f} df).")
    else:
        text += "; too few partnerships for a prediction interval."
    return text


def singular_unit(unit: str) -> str:
    """The singular of a unit that is one lower-case English plural ("families" -> "family", "classes" -> "class");
    any other unit ("USD", "kg CO2", "bus") as it is. For a quantity of exactly 1: "1 internship", not "1 internships".

    Examples
    --------
    >>> singular_unit("internships"), singular_unit("families"), singular_unit("USD")
    ('internship', 'family', 'USD')
    """
    if not re.fullmatch(r"[a-z]{3,}s", unit) or unit.endswith(("ss", "us", "is")):
        return unit
    if unit.endswith("ies"):
        return unit[:-3] + "y"
    if unit.endswith(("sses", "xes", "ches", "shes", "zes")):
        return unit[:-2]
    return unit[:-1]
