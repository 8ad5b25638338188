"""Export an executed notebook to one offline HTML page, code hidden.

nbconvert's ``lab`` template inlines its stylesheets and embeds figures as
``data:`` URIs, but its page head also loads MathJax, require.js and mermaid
from a CDN. :data:`OFFLINE_TEMPLATE` extends ``lab`` and empties those blocks,
so the page opens without any network access.
"""
from __future__ import annotations

import threading

OFFLINE_TEMPLATE = """\
{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
"""
_TEMPLATE_FILE = "evalkit_offline.html.j2"


_local = threading.local()  # one exporter per thread: exporters keep state while converting


def _exporter():
    exporter = getattr(_local, "exporter", None)
    if exporter is None:
        exporter = _local.exporter = _new_exporter()
    return exporter


def _new_exporter():
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    return HTMLExporter(
        template_name="lab",
        template_file=_TEMPLATE_FILE,
        extra_loaders=[DictLoader({_TEMPLATE_FILE: OFFLINE_TEMPLATE})],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
    )


def export_html(nb, title: str) -> str:
    """Return the offline HTML page of an executed notebook (code and prompts hidden).

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The executed notebook.
    title : str
        Page title (escaped by the template).

    Returns
    -------
    str
        A complete HTML document with inline CSS and figures as ``data:`` URIs.

    Examples
    --------
    >>> import nbformat
    >>> page = export_html(nbformat.v4.new_notebook(), title="p01")
    >>> "<script src=" in page
    False
    """
    body, _ = _exporter().from_notebook_node(nb, resources={"metadata": {"name": title}})
    return body
