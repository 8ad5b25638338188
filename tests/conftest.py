"""Shared, generic fixtures. Keep test-specific fixtures in their own test files."""
from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Runs the tests start keep their data slices (by default under ~/.cache/evalkit, a folder per output folder)
# in a folder of this test process, removed when it ends: the suite leaves nothing in the user's cache.
_SLICE_CACHE = tempfile.mkdtemp(prefix="evalkit-test-slices-")
os.environ["EVALKIT_CACHE_HOME"] = _SLICE_CACHE
atexit.register(shutil.rmtree, _SLICE_CACHE, ignore_errors=True)

# The test process reads notebooks as the evalkit command does, without compiling rfc3987_syntax's grammars:
# tests/pytest_startup.py, which `make test` loads before nbval; imported here for a plain `pytest` run (in time
# only without nbval).
import pytest_startup  # noqa: E402,F401

# ---- property tests (hypothesis): how many generated cases each one tries --------------------------------------
# The full suite (`make test`, what CI runs) tries 60; `make test-fast` sets HYPOTHESIS_PROFILE=fast and tries 20:
# the same properties on fewer random cases while you work (the disclosure attack took 4.5 of the tier's CPU-s).
from hypothesis import settings as _hypothesis  # noqa: E402

_hypothesis.register_profile("suite", max_examples=60, deadline=None)
_hypothesis.register_profile("fast", max_examples=20, deadline=None)
_hypothesis.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "suite"))

# ---- browser tests (tests/test_browser.py, marked "browser") ------------------------------------------------
#: Debian's chromium; playwright drives it through executable_path (playwright's own browser download is not used).
CHROMIUM = os.environ.get("EVALKIT_CHROMIUM", "/usr/bin/chromium")
GET_BROWSER = ("install Chromium and playwright: `sudo apt-get install chromium` and "
               "`.venv/bin/python -m pip install -e '.[test]'` (CI's .ci/run installs chromium itself)")


def browser_missing() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        return f"Chromium not found at {CHROMIUM}"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    return None


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: opens pages in headless Chromium (Debian's chromium package)")


def pytest_itemcollected(item):
    """Users of the ``sample_run`` fixture (a real batch run) are integration tests: ``make test-fast`` skips them."""
    if "sample_run" in getattr(item, "fixturenames", ()):
        item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session", autouse=True)
def _one_kernel_server_per_test_process():
    """Every local batch run of a test process forks its kernels from one warm kernel server
    (:func:`evalkit.batch.warm_kernels`), as an analyst's session can: the suite starts about 70 runs, and
    each one warming its own server (about 2 CPU-s) was a sixth of the suite's time. A test about a run's own
    server (that the run starts it, or stops it) is marked ``own_kernel_server``."""
    from evalkit.batch import warm_kernels

    with warm_kernels():
        yield


@pytest.fixture(autouse=True)
def _own_kernel_server(request):
    """Tests marked ``own_kernel_server``: their runs start and stop their own server, as outside a session."""
    from evalkit.batch import warm_kernels

    own = request.node.get_closest_marker("own_kernel_server") is not None
    with warm_kernels(keep=False) if own else contextlib.nullcontext():
        yield


@pytest.fixture(autouse=True)
def _no_figure_outlives_its_test():
    """Close every pyplot figure a test left open. matplotlib warns when the 21st open figure is made, and a test
    that turns warnings into errors (``warnings.simplefilter("error")``) then failed or not by which tests its
    worker happened to run before it (the full suite failed so once, 24 November)."""
    yield
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close("all")


#: The test files that take longest (about 10 to 95 s each on 2 cores, measured 24 November), started first,
#: longest first: pytest-xdist (``--dist loadfile --no-loadscope-reorder``, as ``make test`` runs it) hands
#: files out in collection order, and a long file started last leaves the other worker idle at the end
#: (longest-processing-time-first scheduling). Without ``--no-loadscope-reorder`` xdist orders files by their
#: number of tests instead, and the full suite's two workers finished 21 s apart. Order only; every file runs.
HEAVIEST_FIRST = ("test_run_safety.py", "test_browser.py", "test_batch_faults.py", "test_batch.py",
                  "test_presentation.py", "test_startup.py", "test_operator_trial.py", "test_packaging.py",
                  "test_privacy_attack.py", "test_cli_run.py", "test_hostile_inputs.py", "test_docstrings.py",
                  "test_trial14.py", "test_report_text.py", "test_render.py", "test_pdf_runs.py",
                  "test_report_robustness.py", "test_privacy_followup.py", "test_plots.py", "test_provisioner.py")


def pytest_collection_modifyitems(config, items):
    """Start the heaviest test files first (:data:`HEAVIEST_FIRST`). Without Chromium, take the browser tests out
    of the run and say so loudly (never a silent skip).

    On CI (``CI=true``) they stay in and fail, so a missing browser can never pass there.
    """
    rank = {name: i for i, name in enumerate(HEAVIEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))   # stable: each file keeps its own order
    why = browser_missing()
    if why is None or os.environ.get("CI") == "true":
        return
    browser = [item for item in items if item.get_closest_marker("browser")]
    if browser:
        items[:] = [item for item in items if not item.get_closest_marker("browser")]
        config.hook.pytest_deselected(items=browser)
        config.stash[_NOT_RUN] = (why, [item.nodeid for item in browser])


_NOT_RUN = pytest.StashKey()


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    why, nodeids = config.stash.get(_NOT_RUN, (None, []))
    if not nodeids and os.environ.get("CI") != "true" and browser_missing() is not None:
        # under pytest-xdist the workers deselect the tests; this (controlling) process still says so
        why, nodeids = browser_missing(), ["tests/test_browser.py (every test)"]
    if not nodeids:
        return
    tr = terminalreporter
    tr.section(f"{len(nodeids)} BROWSER TESTS DID NOT RUN", sep="!", red=True, bold=True)
    tr.line(f"WARNING: {why}, so these tests were deselected (they did NOT pass):", red=True, bold=True)
    for nodeid in nodeids:
        tr.line(f"  not run: {nodeid}", red=True)
    tr.line(f"To run them, {GET_BROWSER}.", red=True, bold=True)

TINY = {
    "partnerships.csv": (
        "partnership_id,name,partner_type,lead_institution,start_date,end_date\n"
        "alpha,Alpha Reading,nonprofit,North University,2025-01-06,2025-03-31\n"
        "beta,Beta Coding Club,school,South College,2025-02-03,2025-05-30\n"
    ),
    "participants.csv": (
        "participant_id,partnership_id,gender,low_income\n"
        "a1,alpha,woman,yes\n"
        "a2,alpha,man,no\n"
        "a3,alpha,woman,\n"
        "b1,beta,non-binary,yes\n"
        "b2,beta,man,no\n"
    ),
    "measures.csv": (
        "measure,label,domain,kind,scale_min,scale_max,higher_is_better,shared\n"
        "skills,Skills (1-5),skills,ordinal,1,5,true,yes\n"
        "knowledge,Knowledge score (0-20),knowledge,continuous,0,20,true,no\n"
        "volunteered,Volunteered last month,behaviour,binary,0,1,true,no\n"
    ),
    "responses.csv": (
        "participant_id,partnership_id,wave,measure,value\n"
        "a1,alpha,pre,skills,2\n"
        "a1,alpha,post,skills,4\n"
        "a2,alpha,pre,skills,3\n"
        "a2,alpha,post,skills,3\n"
        "a3,alpha,pre,skills,1\n"
        "a3,alpha,post,skills,\n"
        "a1,alpha,pre,knowledge,10.5\n"
        "a1,alpha,post,knowledge,14\n"
        "b1,beta,pre,volunteered,0\n"
        "b1,beta,post,volunteered,1\n"
        "b2,beta,pre,skills,4\n"
        "b2,beta,followup,skills,5\n"
    ),
    "attendance.csv": (
        "participant_id,partnership_id,session,date,attended\n"
        "a1,alpha,Week 1,2025-01-06,yes\n"
        "a2,alpha,Week 1,2025-01-06,no\n"
        "b1,beta,Week 1,2025-02-03,TRUE\n"
    ),
    "targets.csv": (
        "partnership_id,indicator,statistic,target,threshold,description\n"
        "alpha,skills,pct_at_least,80,4,at least 80% score 4 or more at post\n"
        "beta,attendance_rate,rate,75,,attend 75% of sessions\n"
    ),
}


@pytest.fixture
def unfrozen_gc():
    """The garbage collector as in a user's session for one test: nothing frozen and collecting (each test
    process freezes what it imported once collection is done, tests/pytest_startup.py); as before after it."""
    import gc

    gc.unfreeze()
    yield
    gc.enable()
    gc.freeze()


@pytest.fixture(scope="session")
def sample_data():
    """``ek.load_data("data/sample")``, loaded once per test process for the tests that only read it (evalkit
    never changes a Dataset it is given; a test that changes one loads its own)."""
    import evalkit as ek

    return ek.load_data(ROOT / "data" / "sample")


@pytest.fixture(scope="session")
def sample_portfolio(sample_data):
    """``ek.PortfolioReport(sample_data)``, made once per test process for the tests that only read its sections
    (a report keeps what it has computed: the measures of every partnership, about half a second on the sample).
    A test that changes the report makes its own."""
    from evalkit.report_portfolio import PortfolioReport

    return PortfolioReport(sample_data)


@pytest.fixture
def sample_dir() -> Path:
    """The committed sample data folder (data/sample)."""
    return ROOT / "data" / "sample"


#: The partnerships the shared sample run renders.
SAMPLE_RUN_IDS = ("riverside-literacy", "eastside-stem", "cafe-societe", "uplands-tutoring")


def _shared_folder(tmp_path_factory) -> Path:
    """A folder every test process of this pytest run shares: under pytest-xdist the workers' common base
    temporary folder (``pytest-N``), otherwise this process's own."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def sample_run_cache(tmp_path_factory) -> Path:
    """The ``--cache-dir`` of the shared sample run (shared by the test processes, so not the per-process
    ``EVALKIT_CACHE_HOME``)."""
    return _shared_folder(tmp_path_factory) / "sample_run" / "cache"


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory, sample_run_cache):
    """One batch run on the sample data, shared by the presentation and browser tests.

    ``evalkit run data/sample --partnership riverside-literacy --partnership eastside-stem --partnership
    cafe-societe --partnership uplands-tutoring --portfolio`` into a temporary folder: four reports
    (HTML, Excel; cafe-societe is the sample's too-small partnership, uplands-tutoring the one mostly
    missing its post survey), the portfolio summary and index.html. Without ``--pdf``: printing the five
    documents doubled the run's CPU (21 -> 50 CPU-s); tests/test_pdf_runs.py makes a run's PDFs. One run
    serves the template, presentation, browser and run-safety tests, so the suite renders the sample once:
    under pytest-xdist the first worker that needs it renders it (the others wait on a lock) and the others
    read its result. Tests only read the folder.
    """
    import fcntl
    import pickle

    from evalkit.batch import run_batch

    shared = sample_run_cache.parent
    shared.mkdir(parents=True, exist_ok=True)
    saved = shared / "result.pickle"
    with open(shared / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if saved.is_file():
                return pickle.loads(saved.read_bytes())
            result = run_batch(ROOT / "data" / "sample", shared / "out", partnership_ids=list(SAMPLE_RUN_IDS),
                               portfolio=True, workers=2, progress=False, timeout=600,
                               cache_dir=sample_run_cache)
            assert result.ok, result.to_frame()
            saved.write_bytes(pickle.dumps(result))
            return result
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture
def tiny_dataset(tmp_path) -> Path:
    """A small valid data folder (2 partnerships, 5 participants, 3 measures, every table) in tmp_path."""
    folder = tmp_path / "tiny"
    folder.mkdir()
    for name, text in TINY.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder
