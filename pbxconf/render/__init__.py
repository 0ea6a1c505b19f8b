"""Plan -> text (text.py), JSON (json_plan.py), Markdown (markdown.py). Sensitive values
never leave here: they show as `(sensitive)` in every format, and API call bodies are
masked the same way; every value that came from a PBX is printed escaped.

The JSON documents are pydantic models (json_plan.py), built when that module is first
imported: import it where JSON is written, so that a plan shown as text builds none."""

from pbxconf.render.common import MASK, field_line, shown
from pbxconf.render.markdown import MARKER, render_markdown, render_markdown_failure
from pbxconf.render.text import render_calls, render_text

__all__ = [
    "MARKER",
    "MASK",
    "field_line",
    "render_calls",
    "render_markdown",
    "render_markdown_failure",
    "render_text",
    "shown",
]
