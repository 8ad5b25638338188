"""The real report template, executed through papermill on the sample data."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
import papermill
import pytest

from evalkit.sample import generate_sample

pytestmark = pytest.mark.integration  # renders the real templates in kernels

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "templates" / "partnership_report.ipynb"
SAMPLE = ROOT / "data" / "sample"


@pytest.fixture(scope="module")
def truth():
    return generate_sample()[1]


def test_template_is_clean_and_documents_its_parameters():
    nb = nbformat.read(TEMPLATE, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    assert all(c.get("outputs", []) == [] for c in nb.cells if c.cell_type == "code")
    assert "matplotlib.use(" not in TEMPLATE.read_text()
    params = papermill.inspect_notebook(str(TEMPLATE))  # what `papermill --help-notebook` prints
    assert set(params) == {"partnership_id", "data_dir", "alpha", "min_group_size", "tables_path", "provenance"}
    assert all(p["help"] for p in params.values()), params


def _text(html: str) -> str:
    html = re.sub(r"<(style|script)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture(scope="module")
def batch(sample_run, truth):
    """The shared sample run (conftest): riverside-literacy, the too-small and the mostly-missing-post
    partnerships, and the portfolio, rendered with the real templates."""
    assert {truth.too_small, truth.mostly_missing_post} <= {e.partnership_id for e in sample_run.entries}
    return sample_run


@pytest.fixture(scope="module")
def rendered(batch):
    """partnership id -> (the render's outcome, with ``ok``; its HTML)."""
    return {e.partnership_id: (Outcome(e.status == "ok", e.error),
                               (batch.out_dir / f"{e.partnership_id}.html").read_text(encoding="utf-8"))
            for e in batch.entries}


@dataclass(frozen=True)
class Outcome:
    ok: bool
    error: dict | None


def test_a_full_report_has_every_section_figures_and_provenance(rendered):
    res, html = rendered["riverside-literacy"]
    assert res.ok, res
    text = _text(html)
    for heading in ("Who the partnership is", "Summary", "Participation and attendance", "Outcomes",
                    "Satisfaction", "Long-term benefits", "Progress against targets", "Results by group", "Methods"):
        assert heading in text, heading
    assert "Riverside Family Literacy" in text
    assert re.search(r"scores rose by \d\.\d\d points on a 1-5 scale \(95% CI", text)
    assert "Holm" in text and "Wilcoxon signed-rank" in text and "paired t" in text
    assert "Compared with the start, at the follow-up survey" in text   # riverside-literacy ran a follow-up
    assert "Cronbach's alpha" in text                                   # its teamwork items form a scale
    assert "divided by the community's share" in text                   # the health sections' methods too
    assert len(re.findall(r'<img[^>]+src="data:image/svg\+xml;base64,', html)) >= 4   # figures embedded
    assert not re.search(r'<script[^>]+src=|<link[^>]+href="https?:', html)       # opens offline
    assert "Traceback" not in text and "Error" not in text
    digest = hashlib.sha256((SAMPLE / "responses.csv").read_bytes()).hexdigest()
    assert digest in text                                                          # data checksums in the methods note


def test_too_small_partnership_concludes_nothing(rendered, truth):
    res, html = rendered[truth.too_small]
    assert res.ok, res
    text = _text(html)
    assert "Too few participants to conclude anything" in text
    assert "rose by" not in text and "fell by" not in text


def test_a_section_without_data_says_so_once_with_no_table(rendered):
    """cafe-societe has none of the partnership-health tables: each section's sentence once, no table under it."""
    res, html = rendered["cafe-societe"]
    assert res.ok, res
    text = _text(html)
    sentences = re.findall(r"[^.]* not recorded for this partnership\.", text)
    assert len(sentences) == 6, sentences   # comments, stories, indicators, action plan, partners' survey, community
    assert len({s.strip() for s in sentences}) == 6, sentences    # none said twice
    for table in re.findall(r"<table\b.*?</table>", html, flags=re.S):
        assert "not recorded for this partnership" not in table


def test_mostly_missing_post_carries_a_caution(rendered, truth):
    res, html = rendered[truth.mostly_missing_post]
    assert res.ok, res
    assert re.search(r"Caution: only \d+% of participants who answered the first survey answered the second", _text(html))


def test_small_groups_are_suppressed_in_the_report(rendered):
    _, html = rendered["riverside-literacy"]
    # each group table of the report shows suppressed cells as "fewer than 10", never a count below 10
    text = _text(html)
    assert "fewer than 10" in text
    counts = [int(n) for n in re.findall(r"\b(\d+) / \d+ / \d+\b", text)]
    assert counts and min(counts) >= 10


def test_portfolio_summary_pools_shared_indicators(batch):
    template = ROOT / "templates" / "portfolio_report.ipynb"
    params = papermill.inspect_notebook(str(template))
    assert set(params) == {"data_dir", "alpha", "min_group_size", "provenance"} and all(p["help"] for p in params.values())
    assert batch.portfolio is not None and batch.portfolio.status == "ok", batch.portfolio
    html = (batch.out_dir / "_portfolio.html").read_text(encoding="utf-8")
    text = _text(html)
    assert "Portfolio summary" in text and "12 partnerships" in text
    shared = {"Knowledge test score (0-20)", "Self-rated skills (mean of five 1-5 items)"}
    for label in shared:
        assert re.search(re.escape(label) + r": across \d+ partnerships the average change was", text)
    assert len(re.findall(r'<img[^>]+src="data:image/svg\+xml;base64,', html)) >= len(shared)   # one forest plot each
    assert not re.search(r'<script[^>]+src=|<link[^>]+href="https?:', html)
