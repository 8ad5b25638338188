"""Batch runs: one report per partnership, index and manifest, failures isolated, outputs safe.

Renders run real kernels on tiny fixture templates (tests/fixtures/templates) over a
three-partnership stand-in dataset, with 2 workers.
"""
from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pandas as pd

from evalkit.batch.cache import cache_folder
import pytest

from evalkit.batch import run_batch
from evalkit.errors import DataValidationError, InputError

pytestmark = pytest.mark.integration  # run_batch starts a kernel server and kernels

TEMPLATES = Path(__file__).parent / "fixtures" / "templates"
HOSTILE_NAME = '<script>alert("x")</script> & <img src=x onerror=alert(1)> Partners'


def write_dataset(folder, ids=("p01", "p02", "p03"), names=None, bad_value=False) -> Path:
    """A minimal dataset meeting the data contract: 4 participants per partnership, one measure."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    names = {p: f"Partnership {p}" for p in ids} | dict(names or {})
    n = len(ids)
    pd.DataFrame({"partnership_id": list(ids), "name": [names[p] for p in ids], "partner_type": ["nonprofit"] * n,
                  "lead_institution": ["State University"] * n, "start_date": ["2025-09-01"] * n,
                  "end_date": ["2026-06-30"] * n}).to_csv(folder / "partnerships.csv", index=False)
    people = [(f"{p}-{i}", p) for p in ids for i in range(4)]
    pd.DataFrame(people, columns=["participant_id", "partnership_id"]).to_csv(folder / "participants.csv", index=False)
    pd.DataFrame({"measure": ["skills"], "label": ["Skills"], "domain": ["skills"], "kind": ["continuous"],
                  "scale_min": [1], "scale_max": [5], "higher_is_better": ["true"]}).to_csv(folder / "measures.csv",
                                                                                             index=False)
    rows = [(who, p, wave, "skills", 2 + (wave == "post") + i % 2)
            for i, (who, p) in enumerate(people) for wave in ("pre", "post")]
    if bad_value:
        rows[0] = (*rows[0][:4], 9)  # outside the 1-5 scale
    pd.DataFrame(rows, columns=["participant_id", "partnership_id", "wave", "measure", "value"]).to_csv(
        folder / "responses.csv", index=False)
    pd.DataFrame([(who, p, "s1", "2025-10-01", "true") for who, p in people],
                 columns=["participant_id", "partnership_id", "session", "date", "attended"]).to_csv(
        folder / "attendance.csv", index=False)
    pd.DataFrame([(p, "skills", "mean_post", 3.0) for p in ids],
                 columns=["partnership_id", "indicator", "statistic", "target"]).to_csv(folder / "targets.csv",
                                                                                         index=False)
    return folder


class _Resources(HTMLParser):
    """Collects the URLs a page would load: script src, link href, img src."""

    def __init__(self):
        super().__init__()
        self.scripts, self.links, self.images, self.texts = [], [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            self.scripts.append(attrs.get("src"))
        elif tag == "link":
            self.links.append(attrs.get("href"))
        elif tag == "img":
            self.images.append(attrs.get("src") or "")

    def handle_data(self, data):
        self.texts.append(data)


def parse(path: Path) -> _Resources:
    parser = _Resources()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """One run over p01 (hostile name), p02 (its notebook raises) and p03, with 2 workers."""
    root = tmp_path_factory.mktemp("batch")
    data = write_dataset(root / "data", names={"p01": HOSTILE_NAME})
    out = root / "reports"
    result = run_batch(data, out, template=TEMPLATES / "ok.ipynb", workers=2,
                       parameters={"alpha": 0.1, "min_group_size": 3, "fail_id": "p02"}, progress=False)
    return result, out


def test_one_report_per_partnership_and_failure_isolated(batch):
    result, out = batch
    assert [e.partnership_id for e in result.entries] == ["p01", "p02", "p03"]
    assert result.failed == ["p02"] and not result.ok
    for pid in ("p01", "p03"):
        assert (out / f"{pid}.html").is_file() and (out / f"{pid}.ipynb").is_file()
    assert not (out / "p02.html").exists() and not (out / "p02.ipynb").exists()
    assert (out / "p02.failed.ipynb").is_file()  # kept for auditing
    frame = result.to_frame()
    assert frame.set_index("partnership_id").loc["p02", "status"] == "failed"
    assert "ValueError: cannot report on p02" in frame.set_index("partnership_id").loc["p02", "error"]


def test_manifest_is_consistent_with_the_files(batch):
    result, out = batch
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest["partnerships"]) == {"p01", "p02", "p03"}
    assert manifest["parameters"] == {"alpha": 0.1, "min_group_size": 3, "fail_id": "p02"}
    assert manifest["template"].endswith("ok.ipynb") and manifest["finished"] and manifest["started"]
    assert manifest["evalkit_version"]
    for pid, entry in manifest["partnerships"].items():
        for name in entry["files"].values():
            assert (out / name).is_file()
        assert entry["duration"] > 0
    failed = manifest["partnerships"]["p02"]
    assert failed["status"] == "failed"
    # the template's failing cell is its 5th (index 4); papermill injects one cell before it
    assert failed["error"]["cell_index"] == 5
    assert failed["error"]["ename"] == "ValueError"
    assert failed["error"]["evalue"] == "cannot report on p02"
    assert manifest["partnerships"]["p01"]["status"] == "ok"
    assert manifest["partnerships"]["p01"]["name"] == HOSTILE_NAME
    assert manifest["partnerships"]["p01"]["files"] == {"html": "p01.html", "notebook": "p01.ipynb"}


def test_parameters_reach_the_notebook(batch):
    _, out = batch
    nb = nbformat.read(out / "p03.ipynb", as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and 'partnership_id = "p03"' in injected[0].source
    text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert "REPORT p03 rows=8 alpha=0.1 min_group_size=3" in text  # 4 participants x 2 waves


def test_each_kernel_reads_only_its_own_slice_of_the_data(batch):
    _, out = batch
    nb = nbformat.read(out / "p03.ipynb", as_version=4)
    injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
    slice_dir = cache_folder(out) / "p03"  # slices live outside the published folder
    assert not (out / ".data").exists()
    # each render is given its slice folder as data_dir (render_task passes the task's parameters to papermill);
    # the published notebook names it without its place on this machine
    from evalkit import load_data
    from evalkit.batch.cache import split_by_partnership
    from evalkit.batch.plan import plan_tasks

    data = load_data(out.parent / "data")
    task, = plan_tasks(data, out, TEMPLATES / "ok.ipynb", {}, split_by_partnership(data, ["p03"]))
    assert task.parameters["data_dir"] == str(slice_dir.resolve())
    assert 'data_dir = "<data slice>"' in injected.source and str(slice_dir) not in json.dumps(nb)
    responses = pd.read_parquet(slice_dir / "responses.parquet")
    assert len(responses) == 8 and set(responses["partnership_id"]) == {"p03"}
    assert set(pd.read_parquet(slice_dir / "partnerships.parquet")["partnership_id"]) == {"p03"}


def test_published_notebooks_record_no_local_path_after_success_or_failure(batch):
    """papermill's record in a notebook (template, output, parameters) and the injected-parameters cell name files,
    not this machine's folders: everything in the output folder may be published."""
    _, out = batch
    local = (str(out.parent), str(TEMPLATES), str(cache_folder(out)))
    for name in ("p01.ipynb", "p02.failed.ipynb"):
        nb = nbformat.read(out / name, as_version=4)
        meta = nb.metadata.papermill
        assert (meta.input_path, meta.output_path) == ("ok.ipynb", name)
        assert meta.parameters["data_dir"] == "<data slice>"
        assert meta.parameters["provenance"] == "<data slice>/provenance.json"
        assert meta.parameters["tables_path"] == f"{name.split('.')[0]}.xlsx" and meta.parameters["alpha"] == 0.1
        injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
        record = json.dumps(meta) + injected.source
        assert not [s for s in local if s in record], (name, record)


def test_report_html_is_self_contained_with_code_hidden(batch):
    _, out = batch
    page = parse(out / "p01.html")
    assert all(src is None for src in page.scripts), page.scripts  # no script fetched from anywhere
    assert all(not (href or "").startswith(("http:", "https:", "//")) for href in page.links), page.links
    assert page.images and all(src.startswith("data:image/png;base64,") for src in page.images)
    html_text = (out / "p01.html").read_text()
    assert "sns.barplot" not in html_text and "import evalkit" not in html_text  # code hidden
    assert "REPORT p01" in html_text


def test_index_lists_every_partnership_and_escapes_data(batch):
    result, out = batch
    assert result.index_path == out / "index.html"
    text = result.index_path.read_text()
    page = parse(result.index_path)
    assert page.scripts == [] and page.images == []  # the hostile name injected no element
    assert HOSTILE_NAME in "".join(page.texts)  # shown as text, escaped
    assert "&lt;script&gt;alert(" in text and "&lt;/script&gt;" in text  # escaped (jinja2 writes " as &#34;)
    for pid in ("p01", "p03"):
        assert f'href="{pid}.html"' in text
    assert 'href="p02.html"' not in text
    assert "ValueError: cannot report on p02" in text


def test_invalid_data_raise_before_anything_is_written(tmp_path):
    data = write_dataset(tmp_path / "data", bad_value=True)
    with pytest.raises(DataValidationError) as info:
        run_batch(data, tmp_path / "reports", template=TEMPLATES / "ok.ipynb", workers=1, progress=False)
    assert any(v.file == "responses.csv" and v.column == "value" for v in info.value.violations)
    assert not (tmp_path / "reports").exists()


@pytest.mark.parametrize("kwargs, message", [
    ({"partnership_ids": ["p09"]}, "unknown partnership"),
    ({"workers": 0}, "workers"),
    ({"timeout": -1}, "timeout"),
    ({"parameters": {"data_dir": "/etc"}}, "data_dir"),
    ({"template": "missing.ipynb"}, "missing.ipynb"),
])
def test_bad_arguments_are_input_errors(tmp_path, kwargs, message):
    data = write_dataset(tmp_path / "data")
    with pytest.raises(InputError, match=message):
        run_batch(data, tmp_path / "reports", **{"template": TEMPLATES / "ok.ipynb", **kwargs})
    assert not (tmp_path / "reports").exists()


def test_reports_are_isolated_from_each_other(tmp_path):
    """Each report's notebook sets a global, an rcParam and the random seeds; the next one sees none of it."""
    import matplotlib

    data = write_dataset(tmp_path / "data", ids=("p01", "p02", "p03", "p04"))
    out = tmp_path / "reports"
    result = run_batch(data, out, template=TEMPLATES / "state.ipynb", workers=1, progress=False)
    assert result.ok, result.to_frame()
    seen = []
    for pid in ("p01", "p02", "p03", "p04"):
        nb = nbformat.read(out / f"{pid}.ipynb", as_version=4)
        line = next(o["text"] for c in nb.cells for o in c.get("outputs", []) if "STATE " in o.get("text", ""))
        seen.append(json.loads(line.split("STATE ", 1)[1]))
    default_linewidth = matplotlib.rcParamsDefault["lines.linewidth"]  # 1.5 in matplotlib's own defaults
    for state in seen:
        assert state["leaked_global"] is False
        assert state["linewidth"] == default_linewidth != 9.5
        assert state["numpy_draw"] != 0.5488135039273248  # numpy.random.seed(0); numpy.random.random()
        assert state["random_draw"] != 0.8444218515250481  # random.seed(0); random.random()
    # unseeded generators start from fresh entropy in every report, as in a new kernel
    assert len({s["numpy_draw"] for s in seen}) == 4 and len({s["random_draw"] for s in seen}) == 4


def test_the_index_card_comes_from_the_report_not_from_the_batch_process(tmp_path, monkeypatch):
    """The standard template displays its card; the batch reads it (and keeps it off the page) instead of
    computing every partnership's outcomes and targets a second time. A template without a card still gets one."""
    import evalkit as ek
    import evalkit.batch.run as run
    from evalkit.pageone import INDEX_CARD_MIMETYPE

    data = write_dataset(tmp_path / "data", ids=("p01", "p02"))
    computed = []
    real = run._headline
    monkeypatch.setattr(run, "_headline", lambda *a: computed.append(a[2]) or real(*a))
    result = run_batch(data, tmp_path / "std", workers=1, progress=False, portfolio=False,
                       parameters={"min_group_size": 3})
    assert result.ok and computed == []
    manifest = json.loads((tmp_path / "std" / "manifest.json").read_text())
    for pid in ("p01", "p02"):
        card = manifest["partnerships"][pid]["headline"]
        assert set(card) == {"headline", "targets_met", "targets_total", "targets_set", "flags"}
        assert card["targets_total"] == 1 and card["flags"] == ["small n"]   # one target; 4 pairs, fewer than 30
        assert card == real(ek.load_data(data), {}, pid, {"min_group_size": 3})   # as the batch would compute it
        page = (tmp_path / "std" / f"{pid}.html").read_text()
        assert "Index card:" not in page and INDEX_CARD_MIMETYPE not in page
        assert card["headline"] in (tmp_path / "std" / "index.html").read_text()

    result = run_batch(data, tmp_path / "fixture", template=TEMPLATES / "ok.ipynb", workers=1, progress=False,
                       parameters={"min_group_size": 3})
    assert result.ok and sorted(computed) == ["p01", "p02"]
    assert all(e.headline is not None for e in result.entries)


def test_larger_partnerships_start_first_and_the_outputs_keep_the_data_order(tmp_path, caplog):
    """Longest first: a large report started last would keep one core busy after the others finish.
    The manifest, index and result keep the partnerships' order in the data."""
    import logging

    data = write_dataset(tmp_path / "data", ids=("p01", "p02", "p03"))
    people = pd.read_csv(data / "participants.csv")
    extra = pd.DataFrame({"participant_id": [f"p03-x{i}" for i in range(8)], "partnership_id": "p03"})
    pd.concat([people, extra]).to_csv(data / "participants.csv", index=False)   # p03: 12 people, the others 4
    with caplog.at_level(logging.INFO, logger="evalkit.batch"):
        result = run_batch(data, tmp_path / "out", template=TEMPLATES / "ok.ipynb", workers=1, progress=False,
                           parameters={"min_group_size": 3})
    assert result.ok, result.to_frame()
    started = [r.getMessage().split()[0].removeprefix("partnership=") for r in caplog.records
               if "event=start" in r.getMessage()]
    assert started == ["p03", "p01", "p02"]
    assert [e.partnership_id for e in result.entries] == ["p01", "p02", "p03"]
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert list(manifest["partnerships"]) == ["p01", "p02", "p03"]


def test_a_run_with_a_copied_template_renders_the_portfolio_copied_beside_it(tmp_path):
    """With --template, the portfolio was silently off unless --portfolio was given, so an analyst who edited a
    copy from `evalkit templates copy` lost the portfolio summary. The portfolio template copied beside the
    partnership template is used; with none beside it, none is rendered and the run says why."""
    from evalkit.batch.plan import choose_portfolio
    from evalkit.resources import template_path

    copied = tmp_path / "mine"
    copied.mkdir()
    for name in ("partnership_report.ipynb", "portfolio_report.ipynb"):
        (copied / name).write_bytes(template_path(name).read_bytes())
    lone = tmp_path / "lone"
    lone.mkdir()
    (lone / "custom.ipynb").write_bytes(template_path("partnership_report.ipynb").read_bytes())

    assert choose_portfolio(None, None, None) == (template_path("portfolio_report.ipynb"), "")
    assert choose_portfolio(None, copied / "partnership_report.ipynb", None)[0] == copied / "portfolio_report.ipynb"
    path, why = choose_portfolio(None, lone / "custom.ipynb", None)
    assert path is None and "portfolio_report.ipynb" in why and "--portfolio" in why
    path, why = choose_portfolio(None, None, ["a"])
    assert path is None and "--portfolio" in why
    assert choose_portfolio(True, lone / "custom.ipynb", None)[0] == template_path("portfolio_report.ipynb")
    assert choose_portfolio(True, copied / "partnership_report.ipynb", ["a"])[0] == copied / "portfolio_report.ipynb"
    assert choose_portfolio(False, None, None) == (None, "--no-portfolio was given")
    # the portfolio template itself given as --template: never rendered twice as its own portfolio
    assert choose_portfolio(None, copied / "portfolio_report.ipynb", None)[0] is None


def test_the_slice_cache_lives_under_evalkit_cache_home_when_set(tmp_path, monkeypatch):
    """The default slice cache is one folder per output folder under ~/.cache/evalkit, never removed; the suite
    left 836 of them there. $EVALKIT_CACHE_HOME moves it (the tests point it at a folder of their own)."""
    monkeypatch.setenv("EVALKIT_CACHE_HOME", str(tmp_path / "slices"))
    folder = cache_folder(tmp_path / "out")
    assert folder.parent == (tmp_path / "slices").resolve() and len(folder.name) == 16
    monkeypatch.delenv("EVALKIT_CACHE_HOME")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_folder(tmp_path / "out") == (tmp_path / "xdg" / "evalkit" / folder.name).resolve()


def test_the_default_is_one_render_more_than_the_cores(monkeypatch):
    """Measured (README, speed): on 2 cores one render per core left the cores idle while renders waited on their
    kernels or exported HTML; a third render in flight took 9% less time for 3% more CPU. With a scheduler the
    default was this machine's cores too, so a cluster of many machines ran two renders at a time."""
    import evalkit.batch.run as batch

    monkeypatch.setattr(batch.os, "cpu_count", lambda: 2)
    assert batch._check_workers(None) == 3 and batch._check_workers(1) == 1
    monkeypatch.setattr(batch.os, "cpu_count", lambda: None)
    assert batch._check_workers(None) == 2
    # on a cluster this machine's cores are no cap: every render is submitted, the workers' threads bound them
    assert batch._check_workers(None, "tcp://scheduler:8786") is None
    assert batch._check_workers(4, "tcp://scheduler:8786") == 4


def test_a_partnership_gone_from_the_data_has_its_old_reports_removed(tmp_path):
    """A partnership that left the data (it withdrew, or its data was taken out) kept its report, notebook and
    workbook in --out after the next full run: unlinked from the index but still published. A run of every
    partnership removes the files an earlier run wrote for it; a run of some partnerships keeps the others'."""
    out = tmp_path / "reports"
    kwargs = dict(template=TEMPLATES / "ok.ipynb", workers=2, parameters={"min_group_size": 3}, progress=False,
                  portfolio=False, cache_dir=tmp_path / "cache")
    first = run_batch(write_dataset(tmp_path / "d1"), out, **kwargs)
    assert first.ok and (out / "p02.html").is_file() and (out / "p02.ipynb").is_file()
    (out / "p02.failed.ipynb").write_bytes((out / "p02.ipynb").read_bytes())  # as an interrupted run leaves it
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["owned"].append("p02.failed.ipynb")
    (out / "manifest.json").write_text(json.dumps(manifest))

    partial = run_batch(write_dataset(tmp_path / "d1"), out, partnership_ids=["p01"], **kwargs)
    assert partial.ok and (out / "p02.html").is_file()                       # not asked for, still in the data: kept

    second = run_batch(write_dataset(tmp_path / "d2", ids=("p01", "p03")), out, **kwargs)
    assert second.ok
    assert sorted(p.name for p in out.glob("p02*")) == []                    # gone with the partnership
    assert (out / "p01.html").is_file() and (out / "p03.html").is_file()
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest["partnerships"]) == {"p01", "p03"}
    assert not [name for name in manifest["owned"] if name.startswith("p02")]
