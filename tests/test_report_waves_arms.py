"""The report uses every wave and the comparison group (issue 8): evalkit.report on published trial data.

* HSAUR::BtheB (tests/stats/datasets/BtheB.csv, Everitt & Hothorn): Beck Depression Inventory II
  (0-63, lower is better) at baseline and 2, 4, 6 and 8 months; Beat the Blues (program) vs
  treatment as usual (comparison). Reference values are computed here from the CSV by scipy,
  statsmodels and numpy directly, never taken from evalkit.
* MASS::anorexia as a wide export (data/examples/anorexia_wide.csv), imported with ``evalkit.import_data``:
  ANCOVA lm(Postwt ~ Prewt + Treat), Cont reference (Venables & Ripley 2002): CBT 4.0971, FT 8.6601.
* The bundled sample data (data/sample): pre/post/followup waves and no arms.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats
from statsmodels.stats.multitest import multipletests

import evalkit as ek
from builders import measure as _measure
from builders import write_tables
from evalkit.report import PartnershipReport, PortfolioReport

ROOT = Path(__file__).resolve().parents[1]
DATASETS = Path(__file__).parent / "stats" / "datasets"
COLUMNS = {"bdi.pre": "pre", "bdi.2m": "2m", "bdi.4m": "4m", "bdi.6m": "6m", "bdi.8m": "8m"}
MONTHS = {"pre": 0, "2m": 2, "4m": 4, "6m": 6, "8m": 8}


# --- data ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def csv():
    d = pd.read_csv(DATASETS / "BtheB.csv")
    d["participant_id"] = [f"s{i:03d}" for i in d["rownames"]]
    return d


def _btheb_folder(folder: Path, csv: pd.DataFrame) -> Path:
    long = csv.melt(id_vars=["participant_id"], value_vars=list(COLUMNS), var_name="column", value_name="value")
    long = long.dropna(subset=["value"]).assign(partnership_id="btheb", measure="bdi")
    long["wave"] = long["column"].map(COLUMNS)
    people = csv[["participant_id"]].assign(partnership_id="btheb",
                                            arm=np.where(csv["treatment"] == "BtheB", "program", "comparison"))
    bdi = _measure("bdi", lo=0, hi=63, hib=False, label="Depression (BDI-II)")
    write_tables(folder, long[["participant_id", "partnership_id", "wave", "measure", "value"]], [bdi],
                 participants=people)
    pd.DataFrame({"wave": list(MONTHS), "order": list(MONTHS.values()),
                  "role": ["baseline", "post", "followup", "followup", "followup"]}).to_csv(folder / "waves.csv",
                                                                                           index=False)
    return folder


@pytest.fixture(scope="module")
def btheb(tmp_path_factory, csv):
    data = ek.load_data(_btheb_folder(tmp_path_factory.mktemp("btheb"), csv))
    return PartnershipReport(data, "btheb")


@pytest.fixture(scope="module")
def anorexia_data(tmp_path_factory):
    spec = {"sources": [{"path": str(ROOT / "data" / "examples" / "anorexia_wide.csv")}], "id": "Participant",
            "partnership": {"id": "anorexia", "name": "Anorexia trial", "partner_type": "research"},
            "arm": {"column": "Treat", "program": ["CBT", "FT"], "comparison": ["Cont"]},
            "groups": {"Treat": "treatment"},
            "measures": {"weight": {"label": "Body weight (lb)", "kind": "continuous", "higher_is_better": True,
                                    "waves": {"Prewt": "pre", "Postwt": "post"}}}}
    out = tmp_path_factory.mktemp("anorexia") / "data"
    ek.import_data(spec, out)
    return ek.load_data(out)


@pytest.fixture(scope="module")
def sample(sample_data):
    return sample_data


# --- (1) wave names come from the data ----------------------------------------------------------
def _named_waves(tmp_path, names=("baseline", "endline", "month6")) -> ek.load.Dataset:
    rng = np.random.default_rng(8)
    ids = [f"p{i:02d}" for i in range(30)]
    base = rng.normal(50, 10, 30).round(1)
    values = {names[0]: base, names[1]: base + np.arange(30) % 7, names[2]: base + np.arange(30) % 5}
    resp = pd.concat([pd.DataFrame({"participant_id": ids, "partnership_id": "p1", "wave": w, "measure": "score",
                                    "value": v}) for w, v in values.items()])
    return ek.load_data(write_tables(tmp_path, resp, [_measure("score", lo=0, hi=100, label="Score")])), values


def test_waves_named_baseline_endline_are_used_and_named(tmp_path):
    data, values = _named_waves(tmp_path)
    report = PartnershipReport(data, "p1")
    # by hand: everyone answered all three waves; endline - baseline = i mod 7, mean over i = 0..29
    assert report.outcomes["n_pairs"].tolist() == [30]
    assert report.outcomes["mean_change"].iloc[0] == pytest.approx(np.mean(np.arange(30) % 7))
    assert "answered the baseline survey" in report.participation()
    assert "the endline survey" in report.participation()
    table = report.outcomes_table()
    assert {"Baseline", "Endline"} <= set(table.columns) and "Pre" not in table.columns
    longterm = report.longterm()
    assert "No followup survey" not in longterm and "month6" in longterm
    assert "Change is endline minus baseline" in report.outcomes_intro()
    fig = report.distribution_figure()   # matched baseline/endline answers, labelled with the waves' names
    assert "median" in fig.alt
    assert [t.get_text() for t in fig.figure.axes[0].get_xticklabels()] == ["baseline", "endline"]


def test_waves_named_t1_t2_t3_with_a_waves_table(tmp_path):
    data, _ = _named_waves(tmp_path / "d", ("T1", "T2", "T3"))
    pd.DataFrame({"wave": ["T1", "T2", "T3"], "order": [1, 2, 3]}).to_csv(tmp_path / "d" / "waves.csv", index=False)
    report = PartnershipReport(ek.load_data(tmp_path / "d"), "p1")
    assert report.outcomes["mean_change"].iloc[0] == pytest.approx(np.mean(np.arange(30) % 7))
    assert "at the t3 survey" in report.longterm() and report.change_over_time().applicable  # ids are case-folded


# --- (2) change over time: BtheB, five waves ---------------------------------------------------
def test_change_over_time_section_on_btheb(btheb, csv):
    section = btheb.change_over_time()
    assert section.applicable
    text = section.markdown()
    assert text.startswith("## Change over time")
    # the mixed model fitted directly by statsmodels on the CSV (time = months, from the waves table),
    # on the program arm (Beat the Blues): with a comparison group, the section describes the program group
    program = csv[csv["treatment"] == "BtheB"]
    long = program.melt(id_vars=["participant_id"], value_vars=list(COLUMNS), var_name="c", value_name="bdi").dropna()
    long["month"] = long["c"].map(COLUMNS).map(MONTHS).astype(float)
    fit = smf.mixedlm("bdi ~ month", long, groups=long["participant_id"]).fit(reml=True)
    est = fit.params["month"]
    assert est < 0
    lo, hi = fit.conf_int().loc["month"]
    assert f"fell by {abs(est):.2f} points" in text   # two decimals, as the comparisons beside it
    assert f"95% CI {lo:.2f} to {hi:.2f}".replace("-", "\u2212") in text
    assert "linear mixed model" in text


def test_baseline_vs_each_later_wave_in_the_report_is_holm_adjusted(btheb, csv):
    t = btheb.change_over_time().comparisons
    assert t.index.get_level_values("Wave").tolist() == ["2m", "4m", "6m", "8m"]
    program = csv[csv["treatment"] == "BtheB"]   # the program group's change, as the outcomes table
    raw, n = [], []
    for column in list(COLUMNS)[1:]:
        pair = program[["bdi.pre", column]].dropna()
        raw.append(stats.ttest_rel(pair[column], pair["bdi.pre"]).pvalue)
        n.append(len(pair))
    holm = multipletests(raw, method="holm")[1]
    assert btheb.baseline_vs_later["p_adjusted"].tolist() == pytest.approx(holm.tolist(), rel=1e-9)
    assert btheb.baseline_vs_later["n_pairs"].tolist() == n
    assert t["Adjusted p"].tolist() == [ek.narrate.format_p(p) for p in holm]
    assert t["n pairs"].tolist() == [str(k) for k in n]


def test_retention_per_wave_in_the_report(btheb, csv):
    r = btheb.change_over_time().retention
    # the program group's answers, as the participation section counts them (trial 10): 52, 52, 37, 29, 27
    answered = [int(csv.loc[csv["treatment"] == "BtheB", c].notna().sum()) for c in COLUMNS]
    assert r["Answered"].tolist() == [str(n) for n in answered]
    assert r["Still answering (of baseline)"].tolist() == [f"{100 * n / answered[0]:.0f}%" for n in answered]


def test_trajectory_figure_has_alt_text_from_its_data(btheb, csv):
    fig = btheb.trajectory_figure()
    assert fig is not None
    assert "Depression (BDI-II)" in fig.alt
    for arm, treatment in (("program", "BtheB"), ("comparison", "TAU")):   # one line per arm
        d = csv.loc[csv["treatment"] == treatment]
        means = [d[c].mean() for c in COLUMNS]
        pairs = d.dropna(subset=["bdi.pre", "bdi.2m"])
        for i, c in enumerate(["bdi.pre", "bdi.2m"]):  # 1 to 9 outside the pre/post pairs: the pairs' mean (privacy)
            if 0 < d[c].notna().sum() - len(pairs) < 10:
                means[i] = pairs[c].mean()
        assert f"{arm}: {means[0]:.1f} at pre, {means[1]:.1f} at 2m" in fig.alt and f"{means[-1]:.1f} at 8m" in fig.alt


# --- (3) compared with a comparison group -------------------------------------------------------
def test_btheb_comparison_section_and_summary_speak_of_the_program_effect(btheb, csv):
    assert btheb.has_comparison
    section = btheb.comparison_group()
    assert section.applicable and section.markdown().startswith("## Compared with a comparison group")
    both = csv.dropna(subset=["bdi.2m"])
    x = np.column_stack([np.ones(len(both)), both["bdi.pre"], (both["treatment"] == "BtheB").astype(float)])
    beta = np.linalg.lstsq(x, both["bdi.2m"].to_numpy(float), rcond=None)[0]
    assert f"{abs(beta[2]):.1f}" in section.markdown() and "lower than the comparison group" in section.markdown()
    summary = btheb.summary()
    assert "than the comparison group" in summary
    # the programme's enrolment and completion, the comparison arm beside it, never added in (trial 9): of the
    # 52 BtheB participants, all 52 answered both the baseline (pre) and the post wave (2m); 48 on TAU
    program = csv[csv["treatment"] == "BtheB"]
    n_both = int(program["bdi.2m"].notna().sum())
    assert (len(program), n_both, len(csv) - len(program)) == (52, 52, 48)
    assert (f"enrolled {len(program)} program participants and {len(csv) - len(program)} in the comparison group. "
            f"{n_both} of the program participants answered both the pre and the 2m survey") in summary
    assert "scores fell by" not in summary          # no pre/post change in the summary when arms exist
    methods = btheb.methods()
    assert "There is no comparison group" not in methods
    assert "Design with a comparison group" in methods and "mixed model" in methods
    # attrition at 2 months, counted from the CSV: 52 of 52 BtheB, 45 of 48 TAU; WWC boundaries 5.9 / 10.3 at 3%
    a = section.attrition.iloc[0]
    assert a["Overall attrition"] == "3%" and a["Differential"] == "6.2 points"
    assert a["Cautious boundary"].startswith("high attrition") and a["Optimistic boundary"].startswith("low attrition")


def test_anorexia_three_arms_give_the_venables_ripley_ancova(anorexia_data):
    report = PartnershipReport(anorexia_data, "anorexia", arms="treatment", reference="Cont")
    section = report.comparison_group()
    assert section.applicable
    e = section.effects
    # R: lm(Postwt ~ Prewt + Treat), Cont reference: TreatCBT 4.0971, TreatFT 8.6601
    assert e.loc[("Body weight (lb)", "CBT"), "Adjusted difference"] == "4.10"
    assert e.loc[("Body weight (lb)", "FT"), "Adjusted difference"] == "8.66"
    text = section.markdown()
    assert "the CBT group ended 4.1 higher than the Cont group" in text
    assert "the FT group ended 8.7 higher than the Cont group" in text
    # baseline equivalence by hand (Hedges' g of Prewt, CBT vs Cont) with the WWC verdict
    d = pd.read_csv(ROOT / "data" / "examples" / "anorexia_wide.csv")
    a, b = d.loc[d["Treat"] == "CBT", "Prewt"], d.loc[d["Treat"] == "Cont", "Prewt"]
    sp = np.sqrt(((len(a) - 1) * a.var() + (len(b) - 1) * b.var()) / (len(a) + len(b) - 2))
    g = (1 - 3 / (4 * (len(a) + len(b)) - 9)) * (a.mean() - b.mean()) / sp
    verdict = "satisfied" if abs(g) <= 0.05 else "needs statistical adjustment" if abs(g) <= 0.25 else "not equivalent"
    row = section.balance.loc[("Body weight (lb)", "CBT")]
    assert row["Baseline difference (g)"] == f"{g:.2f}".replace("-", "\u2212") and row["WWC verdict"] == verdict


def test_the_difference_in_differences_check_has_no_two_parentheses_in_a_row(anorexia_data):
    """The label ends in a parenthesis ("Body weight (lb)"): the group is not a second one after it."""
    report = PartnershipReport(anorexia_data, "anorexia", arms="treatment", reference="Cont")
    check = report.comparison_group().check.replace("\\", "")   # as read: Markdown escapes removed
    assert "- Body weight (lb), CBT group: difference in differences" in check
    assert ") (" not in check


def test_anorexia_two_arms_by_default_pool_the_program_arms(anorexia_data):
    report = PartnershipReport(anorexia_data, "anorexia")   # arm: program (CBT + FT) vs comparison (Cont)
    d = pd.read_csv(ROOT / "data" / "examples" / "anorexia_wide.csv")
    x = np.column_stack([np.ones(len(d)), d["Prewt"], (d["Treat"] != "Cont").astype(float)])
    beta = np.linalg.lstsq(x, d["Postwt"].to_numpy(float), rcond=None)[0]
    assert report.program_effects["estimate"].iloc[0] == pytest.approx(beta[2], rel=1e-9)
    assert "than the comparison group" in report.summary()
    # the outcomes table's change is the program group's (46 people), never pooled with the comparison arm
    prog = d[d["Treat"] != "Cont"]
    assert report.outcomes["n_pairs"].iloc[0] == 46
    assert report.outcomes["mean_change"].iloc[0] == pytest.approx((prog["Postwt"] - prog["Prewt"]).mean())
    assert not report.change_over_time().applicable and report.change_over_time().markdown() == ""


# --- (c) the bundled sample still renders -----------------------------------------------------
def test_sample_reports_render_without_comparison(sample):
    river = PartnershipReport(sample, "riverside-literacy")
    assert not river.has_comparison and not river.comparison_group().applicable
    assert river.comparison_group().markdown() == ""
    assert "There is no comparison group" in river.methods()
    assert "than the comparison group" not in river.summary()
    assert re.search(r"scores rose by \d\.\d\d points on a 1-5 scale", river.longterm())   # 2 decimals, as elsewhere
    assert "Compared with the start, at the follow-up survey" in river.longterm()   # evalkit.labels.wave_label
    east = PartnershipReport(sample, "eastside-stem")   # two waves: no change-over-time section
    assert not east.change_over_time().applicable and east.change_over_time().markdown() == ""
    over = river.change_over_time()   # pre, post, followup: skills was asked at all three
    assert over.applicable and "Self-rated skills" in over.markdown()


# --- (4) portfolio: program effects and pre/post changes pooled apart -------------------------
def test_portfolio_report_never_pools_a_comparison_arm(tmp_path):
    d = pd.read_csv(DATASETS / "anorexia.csv")
    parts, people = [], []
    for pid, treatments in (("trial", ("Cont", "CBT")), ("cbt-only", ("CBT",)), ("ft-only", ("FT",))):
        x = d[d["Treat"].isin(treatments)].reset_index(drop=True)
        x["participant_id"] = [f"{pid}-{i}" for i in range(len(x))]
        x["partnership_id"] = pid
        parts += [x.assign(wave=w, measure="weight", value=x[c]) for w, c in (("pre", "Prewt"), ("post", "Postwt"))]
        arm = np.where(x["Treat"] == "Cont", "comparison", "program") if pid == "trial" else None
        people.append(x[["participant_id", "partnership_id"]].assign(arm=arm))
    resp = pd.concat(parts)[["participant_id", "partnership_id", "wave", "measure", "value"]]
    weight = {**_measure("weight", label="Body weight (lb)"), "scale_min": None, "scale_max": None, "shared": True}
    data = ek.load_data(write_tables(tmp_path, resp, [weight], participants=pd.concat(people)))
    report = PortfolioReport(data)
    text = report.shared_summary()
    # pre/post changes of the two single-arm partnerships (R: CBT 3.006897, FT 7.264706) pooled: k = 2
    label = ek.narrate.md_escape("Body weight (lb)")   # Markdown-escaped as the page shows it
    assert f"{label}: across 2 partnerships the average change was" in text
    assert "(pre/post changes of partnerships without a comparison group)" in text
    assert f"{label}, program effects: each partnership's difference from its comparison group" in text
    assert "fewer than 2 partnerships to pool" in text
    table = report.shared_table()
    kinds = dict(zip(table.index.get_level_values("Partnership"), table["Estimate type"]))
    assert kinds == {"Partnership trial": "program effect", "Partnership cbt-only": "pre/post change",
                     "Partnership ft-only": "pre/post change"}
    cbt = table.xs("Partnership cbt-only", level="Partnership").iloc[0]
    assert cbt["Estimate"] == "3.01"
    # the trial's entry is its ANCOVA program effect (CBT vs Cont, two arms), least squares by numpy
    two = d[d["Treat"].isin(["Cont", "CBT"])]
    x = np.column_stack([np.ones(len(two)), two["Prewt"], (two["Treat"] == "CBT").astype(float)])
    beta = np.linalg.lstsq(x, two["Postwt"].to_numpy(float), rcond=None)[0]
    trial = table.xs("Partnership trial", level="Partnership").iloc[0]
    assert trial["Estimate"] == f"{beta[2]:.2f}" and trial["n (answered both surveys)"] == str(len(two))
    assert "never pooled" in report.methods()


# --- the real template, rendered by papermill on a five-wave trial with arms ---------------------
@pytest.mark.integration
def test_template_renders_both_sections_on_a_trial_with_waves(tmp_path, csv):
    from evalkit.batch.render import render_report

    folder = _btheb_folder(tmp_path / "data", csv)
    res = render_report(ROOT / "templates" / "partnership_report.ipynb", tmp_path / "btheb.ipynb",
                        tmp_path / "btheb.html", {"partnership_id": "btheb", "data_dir": str(folder)},
                        timeout=600, cwd=ROOT)
    assert res.ok, res
    html = (tmp_path / "btheb.html").read_text(encoding="utf-8")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", re.sub(r"<(style|script)\b.*?</\1>", " ", html, flags=re.S)))
    headings = [re.sub(r"<[^>]+>|¶", "", h).strip() for h in re.findall(r"<h2[^>]*>(.*?)</h2>", html, flags=re.S)]
    assert any(h.endswith("Change over time") for h in headings), headings
    assert any(h.endswith("Compared with a comparison group") for h in headings), headings
    assert "lower than the comparison group" in text and "WWC verdict" in text and "per unit" in text
    assert "No followup survey" not in text and "No follow-up survey" not in text   # 4m-8m are follow-ups
    assert "Traceback" not in text and "Error" not in text
    assert re.search(r'<img[^>]+alt="Line chart of the mean at each wave', html)


def test_a_partnership_without_group_columns_renders_every_table(btheb):
    # BtheB as imported here has an arm and no group column: the by-group parts and the workbook still work
    assert btheb.data.group_columns == []
    assert btheb.group_tests_table().empty and btheb.results_by_group()
    sheets = btheb.tables()
    assert {"Outcomes", "Over time - vs baseline", "Over time - who answered", "Comparison - effect",
            "Comparison - baseline", "Comparison - attrition"} <= set(sheets)


def test_too_few_people_followed_over_time_gives_no_section(sample):
    # cafe-societe asked skills at three waves, but only 5 participants answered it more than once (< 10)
    r = sample.for_partnership("cafe-societe").responses
    skills = r[r["measure"].str.startswith("skills") & r["value"].notna()]
    assert (skills.groupby("participant_id")["wave"].nunique() >= 2).sum() < 10
    report = PartnershipReport(sample, "cafe-societe")
    assert not report.change_over_time().applicable and report.change_over_time().markdown() == ""


def test_targets_of_a_trial_are_judged_on_the_program_group(anorexia_data, tmp_path):
    import shutil

    folder = tmp_path / "data"
    shutil.copytree(anorexia_data.data_dir, folder)
    pd.DataFrame({"partnership_id": ["anorexia"], "indicator": ["weight"], "statistic": ["mean_change"],
                  "target": [2.0], "threshold": [None], "description": ["weight rises by 2 lb"]}).to_csv(
        folder / "targets.csv", index=False)
    report = PartnershipReport(ek.load_data(folder), "anorexia")
    d = pd.read_csv(ROOT / "data" / "examples" / "anorexia_wide.csv")
    prog = d[d["Treat"] != "Cont"]   # CBT and FT: the comparison arm's change is not the programme's
    assert report.targets["estimate"].iloc[0] == pytest.approx((prog["Postwt"] - prog["Prewt"]).mean())
    assert report.targets["n"].iloc[0] == len(prog)


def test_wave_names_are_text_not_markdown(tmp_path):
    data, _ = _named_waves(tmp_path, ("start", "*end*", "later_on"))
    report = PartnershipReport(data, "p1")
    assert "at the later\\_on survey" in report.longterm()          # shown literally, not as emphasis
    assert "the \\*end\\* survey" in report.participation()
