"""Shared behaviour of statistical result objects.

Each test returns a small frozen dataclass deriving from :class:`Result`:
fields are the contract, ``to_dict()`` gives a plain dict, and notebooks show
a compact two-column table.
"""
from __future__ import annotations

import dataclasses
import html
import math


class Result:
    """Mixin for frozen result dataclasses: ``to_dict``, ``to_frame`` and notebook display."""

    def to_dict(self) -> dict:
        """Return the fields as a plain ``dict`` (name -> value), in declaration order."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def to_frame(self):
        """Return the fields as a one-row :class:`pandas.DataFrame`."""
        import pandas as pd

        return pd.DataFrame([self.to_dict()])

    @staticmethod
    def _fmt(value) -> str:
        if isinstance(value, float):
            if math.isnan(value):
                return "NaN"
            if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e6):
                return f"{value:.4g}"
            return f"{value:.4f}"
        return str(value)

    def _repr_html_(self) -> str:
        fields = self.to_dict().items()
        # Table-valued fields (DataFrames) are shown below the scalars; per-row arrays/Series are not shown.
        rows = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th>"
            f"<td style='text-align:left'>{html.escape(self._fmt(v))}</td></tr>"
            for k, v in fields
            if not hasattr(v, "shape") and v is not None and v != ""
        )
        tables = "".join(
            f"<p><b>{html.escape(k)}</b></p>{v.to_html(index=False, max_rows=30)}"
            for k, v in fields
            if hasattr(v, "to_html")
        )
        return (
            f"<table><caption style='text-align:left'><b>{html.escape(type(self).__name__)}</b>"
            f"</caption>{rows}</table>{tables}"
        )
