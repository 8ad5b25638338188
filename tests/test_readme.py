"""The README's notebook snippet runs as written: an analyst's first contact with the package must not fail."""
from __future__ import annotations

import re
from pathlib import Path

import matplotlib

matplotlib.use("agg")

ROOT = Path(__file__).resolve().parents[1]


def test_the_readmes_interactive_snippet_runs_as_written(monkeypatch):
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Working interactively", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    assert blocks, "the README's 'Working interactively' section has no python block"
    monkeypatch.chdir(ROOT)   # the snippet reads data/sample from the project folder, as the notebooks do
    namespace: dict = {}
    exec(compile(blocks[0], "README.md", "exec"), namespace)  # noqa: S102 (the README's own code)
    assert {"data", "table", "pairs", "by_gender", "fig", "report"} <= set(namespace)
    assert set(namespace["by_gender"]["group_variable"]) == {"gender"}
    assert namespace["report"]._repr_markdown_().startswith("# ")
    import matplotlib.pyplot as plt
    plt.close("all")
