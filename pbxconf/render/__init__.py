"""Plan -> text (text.py), JSON (json_plan.py), Markdown (markdown.py). Sensitive values
never leave here: they show as `(sensitive)` in every format, and API call bodies are
masked the same way; every value that came from a PBX is printed escaped."""

from pbxconf.render.common import MASK, field_line, shown
from pbxconf.render.json_plan import (
    JsonProblem,
    plan_output_schema,
    plan_to_json_model,
    render_json,
    render_json_failure,
)
from pbxconf.render.markdown import MARKER, render_markdown, render_markdown_failure
from pbxconf.render.text import render_calls, render_text

__all__ = [
    "MARKER",
    "MASK",
    "JsonProblem",
    "field_line",
    "plan_output_schema",
    "plan_to_json_model",
    "render_calls",
    "render_json",
    "render_json_failure",
    "render_markdown",
    "render_markdown_failure",
    "render_text",
    "shown",
]
