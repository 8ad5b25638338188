"""``evalkit run --pdf`` on a folder an earlier run wrote without PDFs (trial 11).

A rerun that asks for PDFs must print the reports it keeps unchanged as well: the check that sends a kept report
back to render when a PDF is newly asked for saw the task before the run told it to print, so the unchanged
reports were kept without their PDFs. ``--pdf`` prints the portfolio summary too, the document a funder most
likely prints (trial 11), and the index links it.
"""
from __future__ import annotations

import json

import pytest
from bs4 import BeautifulSoup

from evalkit.batch import run_batch
from evalkit.sample import write_sample

pytestmark = pytest.mark.integration



def test_a_pdf_run_prints_the_reports_an_earlier_run_kept_unchanged(tmp_path):
    # a small generated sample (5 partnerships of 20): its portfolio renders and prints in a third of the time
    # the sample's 12 partnerships take
    data, out = tmp_path / "data", tmp_path / "out"
    write_sample(data, partnerships=5, participants=20, seed=1)
    args = dict(partnership_ids=["cafe-societe"], workers=1, progress=False, cache_dir=tmp_path / "cache")
    assert run_batch(data, out, **args).ok and not list(out.glob("*.pdf"))
    second = run_batch(data, out, pdf=True, portfolio=True, **args)   # nothing changed but the PDFs asked for
    assert second.ok and second.entries[0].rendered
    assert (out / "cafe-societe.pdf").read_bytes().startswith(b"%PDF-")
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["partnerships"]["cafe-societe"]["files"]["pdf"] == "cafe-societe.pdf"
    assert manifest["portfolio"]["files"]["pdf"] == "_portfolio.pdf"
    assert (out / "_portfolio.pdf").read_bytes()[:5] == b"%PDF-"
    index = (out / "index.html").read_text(encoding="utf-8")
    assert '<a href="_portfolio.pdf">PDF</a>' in index
    card = BeautifulSoup(index, "html.parser").find(id="p-cafe-societe")
    names = [" ".join(a.get_text().split()) for a in card.find(class_="files").find_all("a")]
    assert names[:2] == ["Report: Café Société Youth Employment", "PDF: Café Société Youth Employment"]
    third = run_batch(data, out, pdf=True, portfolio=True, **args)   # everything is there: nothing renders again
    assert third.entries[0].rendered is False and third.portfolio.rendered is False
