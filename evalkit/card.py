"""The index card's output type, the one name a report's kernel and the batch process share.

A report displays its index card (:class:`evalkit.pageone.IndexCard`) as an output of this MIME type; a
batch run (:func:`evalkit.batch.render.take_index_card`) lifts it out of the executed notebook into the
manifest and ``index.html``, and the page never shows it. It lives apart from :mod:`evalkit.pageone` so
that the batch process, which only reads it, does not import what pageone needs to write it (the narrating
modules and scipy: 0.7 CPU-s of every run).
"""
from __future__ import annotations

#: The output mimetype of a report's index card.
INDEX_CARD_MIMETYPE = "application/vnd.evalkit.index-card+json"
