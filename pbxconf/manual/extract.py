"""Extract the API manual's parameter tables, examples and error codes into facts.json.

Run ``python -m pbxconf.manual.extract MANUAL.txt [-o facts.json] [--check]``; ``--check``
exits 1 with a unified diff when the committed file would change. Pure standard library.

The manual (``pbx-api-v1.1.0.zh.txt``) is a text dump of a PDF. What this script relies on,
and the quirks of the dump it handles:

Sections
  Each endpoint section starts with a line ``Endpoint``, then (usually fenced)
  ``POST /api/v1.1.0/<name>?token=...``; then the headings ``请求参数`` (request
  parameters), ``响应参数`` (response parameters, optional), ``实际示例``, ``请求示例``
  (request examples) and ``响应示例`` (response examples). The section runs to the next
  ``Endpoint`` line, or to ``API 报告示例`` where the report sections start. Each report
  section has a ``报告参数`` table and ``报告示例`` examples; a report is keyed by the
  ``action`` value of its example. The error codes are the ``错误代码`` table at the end.
  Only the endpoints in ENDPOINTS and the reports in REPORTS are extracted: each of them
  was read against the manual, and an unexpected shape fails the run instead of
  producing doubtful data.

Tables
  Rows are tab separated: ``名称 是否必需 类型 描述`` (request: name, required 是/否, type,
  description) or ``名称 类型 描述`` (response and report tables). The header row repeats
  after each page break and is skipped. A row whose first cell is empty continues the
  description of the row before it (page breaks split descriptions), as does a line without
  tabs that directly follows a row. Descriptions carry HTML fragments (``<ul>``, ``<div>``,
  ``<code>``) and bullets (``•``).

  - One-cell rows in the SIP trunk tables (``注册中继``, ``点对点中继``, ``账号中继``,
    ``DOD 号码``) are group headings: the rows after one get ``group`` register, peer,
    account or dod. The same key can therefore appear once per group (``host``,
    ``password``...).
  - A response row may name several keys (``atransferto atransferext atransferprefix
    atransfernum`` in extension/query): it becomes one param per key, sharing the row.
  - A key cell may be wrapped in ``<code>`` (``<code>name</code>``): the tags are dropped,
    ``raw`` keeps the cell.
  - PDF wrapping garbled the IVR update keys (``ivr <code>id</code>``, ``respon
    <code>settimeout</code>``...). The pieces are joined; when that is not a key the other
    tables of the same kind (ivr/*) or the endpoint's own request example spell, the key is
    matched case-insensitively, allowing one extra or missing character, and that spelling
    is taken (``ivrId``, ``responseTimeout``...); ``note`` says so. A key that cannot be
    matched to exactly one spelling stops the run.

Values and notes
  ``values`` are the allowed values the description lists: ``可选值：10、20、30`` /
  ``可选择的值：1、2、3`` lists (also ``可选 值``), and bullet items whose head (the text
  before ``:`` or ``：``) is an ASCII token (``on``, ``Ring All``, ``15``, ``Barge-in``,
  ``*``). Bullets in Chinese prose (``查询单个分机：...``) are not values. A ``<ul>`` whose
  bullets the PDF lost (``<ul>on：允许。off：不允许。`` in the IVR update table) has its
  sentences as items. The manual's spelling and case are kept exactly (``Hangup`` in one
  table, ``Hang up`` in another). ``note`` is the description without HTML, cut short: from
  the label ``限制：`` (limit) to the end when there is one, else the first sentence plus any
  sentence stating a unit, a maximum, or that a value must be set.

Examples
  Examples are the fenced blocks after ``请求示例`` / ``响应示例`` / ``报告示例``. A fence
  starting with a request line (``POST``) or a status line (``HTTP/``) starts a message; any
  other fence continues the message before it, whose body must then be missing or still
  open (page breaks split the JSON over fences, or the headers from the body). The body is
  the JSON from the first line starting with ``{`` or ``[``; ``line`` is that line, or the
  request line of a request sent without a body. A fence repeating the end of the example
  before it is skipped when STRAY_FENCES names it; any other leftover fence stops the run.

Nesting
  The tables do not show nesting: a row typed ``Object`` is a container and the rows after
  it are its children (``parent``). When a table lacks the top-level container its response
  example answers with (ivr/query answers ``"ivr": [...]``, the wake-up query ``"wakeups"``,
  deviceinfo ``"deviceinfo"``), a param is added for it from the example and the table's
  rows become its children. Where neither the table nor an example shows the nesting,
  STRUCTURE_HINTS says it, each hint with the manual line of its row. Every param's parent is
  then checked against the examples: a key an example shows under another container stops
  the run.

Misspellings are facts: each table's keys and values are recorded as that table writes them
(``moblie``, ``atransfertto``, ``announcfreq``, ``exrange``, ``Repeatinterval``...).
Line numbers are 1-based lines of the manual; ``source_sha256`` is the hash of its bytes.
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import html
import json
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from pbxconf.manual import Param

Json = dict[str, Any]

ENDPOINTS: tuple[str, ...] = (
    "login",
    "token/refresh",
    "logout",
    "deviceinfo/query",
    "extensionlist/query",
    "extension/query",
    "extension/update",
    "trunklist/query",
    "siptrunk/query",
    "siptrunk/add",
    "siptrunk/update",
    "siptrunk/delete",
    "inroute/query",
    "inroute/add",
    "inroute/update",
    "inroute/delete",
    "outroute/query",
    "outroute/add",
    "outroute/update",
    "outroute/delete",
    "ivr/query",
    "ivr/update",
    "queue/query",
    "queue/update",
    "queuestatus/query",
    "queue/add_dynamicagent",
    "queue/del_dynamicagent",
    "queue/pause_agent",
    "queue/unpause_agent",
    "wakeupcall/create",
    "wakeupcall/query",
    "wakeupcall/update",
    "wakeupcall/delete",
)

# Reports whose table is flat and whose examples are valid JSON. The call reports (ALERT,
# RING, ANSWER, BYE...) describe alternative shapes in one table and their examples have
# unbalanced braces; they are left out rather than guessed.
REPORTS: tuple[str, ...] = ("BootUp", "ConfigChange", "ExtensionStatus", "satisfaction")

GROUPS: dict[str, str] = {
    "注册中继": "register",
    "点对点中继": "peer",
    "账号中继": "account",
    "DOD 号码": "dod",
}
TYPES = frozenset({"String", "Int", "Object"})
REQUIRED = {"是": True, "否": False}

REQUEST_HEADER = ("名称", "是否必需", "类型", "描述")
RESPONSE_HEADER = ("名称", "类型", "描述")


@dataclass(frozen=True)
class StructureHint:
    """Where a table row sits in the nesting, when neither the table nor an example shows it.

    Before the row, ``close`` open containers are closed; ``container`` overrides whether the
    row opens one (by default a row typed Object does). ``line`` and ``key`` name the row, so
    a hint that no longer matches the manual stops the run.
    """

    endpoint: str
    side: str
    line: int
    key: str
    close: int = 0
    container: bool | None = None
    why: str = ""


STRUCTURE_HINTS: tuple[StructureHint, ...] = (
    # extension/query's response example (line 1041) shows no call in progress, so the call
    # objects' nesting comes from the table's order: inbound (line 996, typed Object) is
    # followed by inboundid/from/to/trunk.
    StructureHint(
        "extension/query",
        "response",
        1001,
        "outbound",
        close=1,
        container=True,
        why="typed String, yet outboundid/from/to/trunk follow it as inbound's fields follow"
        " inbound (line 996): the types of lines 1001 and 1002 look swapped",
    ),
    StructureHint(
        "extension/query",
        "response",
        1002,
        "outboundid",
        container=False,
        why="typed Object, yet it is the call's id as inboundid (line 997) is",
    ),
    StructureHint(
        "extension/query",
        "response",
        1006,
        "ext",
        close=1,
        why="ext (typed Object) is a sibling of inbound and outbound, not outbound's child",
    ),
    StructureHint(
        "extension/query",
        "response",
        1008,
        "unselectoutroute",
        close=1,
        why="the outbound-route fields belong to the extension again, not to ext",
    ),
)

# Fences that repeat part of the example before them (a PDF page-break artefact): skipped.
# Keyed by the fence's first line.
STRAY_FENCES: dict[int, str] = {
    2371: "queuestatus/query: the closing brackets of the response example again",
}

VALUE_LIST = re.compile(r"可选\s*(?:择的)?\s*值\s*[:：]\s*([^\s、]+(?:\s*、\s*[^\s、]+)*)")
VALUE_HEAD = re.compile(r"[A-Za-z0-9*#][A-Za-z0-9 *#_.\-]{0,39}", re.ASCII)
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*", re.ASCII)
# Only real tags: the IVR name's limit lists "< >" among the forbidden characters.
TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>")
UL_TAG = re.compile(r"<ul\b[^>]*>", re.I)
LI_TAG = re.compile(r"<li\b[^>]*>", re.I)
BLOCK_TAG = re.compile(r"</?(?:div|p|ul|li)\b[^>]*>", re.I)
UL_MARK = "\x00"
# "限制：" labels a limit; bare 限制 is a word (外呼限制 = call restriction, 无限制 = unlimited).
LIMIT_LABEL = re.compile(r"限制\s*[:：]")
LIMIT_MARKERS = ("单位", "最多", "最大", "不能为空", "不为空", "必须")
ENDPOINT_LINE = re.compile(r"POST /api/v1\.1\.0/([A-Za-z0-9_/]+?)(?:\?token=\S*)?(?: HTTP/1\.1)?")
FENCE = "```"


class ManualError(ValueError):
    """The manual does not have the shape this script expects: nothing is written."""


# --------------------------------------------------------------------------- lines


@dataclass(frozen=True)
class Line:
    number: int  # 1-based line of the manual
    text: str


def numbered(text: str) -> list[Line]:
    return [Line(number, line) for number, line in enumerate(text.split("\n"), start=1)]


def find_line(lines: Sequence[Line], text: str, start: int = 0, end: int | None = None) -> int:
    """Index of the first line exactly ``text`` in lines[start:end], or -1."""
    stop = len(lines) if end is None else end
    for index in range(start, stop):
        if lines[index].text.strip() == text:
            return index
    return -1


# --------------------------------------------------------------------------- descriptions


def strip_tags(text: str) -> str:
    return " ".join(html.unescape(TAG.sub(" ", text)).split())


def blocks(description: str) -> list[str]:
    """The description split at its HTML blocks; a block opened by <ul> starts with UL_MARK."""
    marked = LI_TAG.sub("\n• ", UL_TAG.sub("\n" + UL_MARK, description))
    out = []
    for chunk in BLOCK_TAG.sub("\n", marked).split("\n"):
        is_list = chunk.startswith(UL_MARK)
        text = strip_tags(chunk.removeprefix(UL_MARK))
        if text:
            out.append(UL_MARK + text if is_list else text)
    return out


def list_items(block: str) -> list[str]:
    """Bullet items of a block; in a <ul> that lost its bullets, its sentences."""
    is_list = block.startswith(UL_MARK)
    text = block.removeprefix(UL_MARK)
    if "•" in text:
        return text.split("•")[1:]
    if is_list:
        return text.split("。")
    return []


def value_head(item: str) -> str | None:
    """The value a list item names, when its head is an ASCII token (not Chinese prose)."""
    head = re.split(r"[:：]", item, maxsplit=1)[0].strip().rstrip("。").strip()
    return head if VALUE_HEAD.fullmatch(head) else None


def allowed_values(description: str) -> tuple[str, ...]:
    found: list[str] = []
    for match in VALUE_LIST.finditer(strip_tags(description)):
        found.extend(item.strip().rstrip("。") for item in match.group(1).split("、"))
    for block in blocks(description):
        found.extend(head for item in list_items(block) if (head := value_head(item)))
    return tuple(dict.fromkeys(value for value in found if value))


def sentences(text: str) -> list[str]:
    return [part.strip() + "。" for part in text.split("。") if part.strip()]


def short_note(description: str) -> str:
    """The limit the description states, else its first sentence (plus unit/maximum ones)."""
    plain = strip_tags(description)
    limit = LIMIT_LABEL.search(plain)
    if limit:
        return plain[limit.start() :]
    # Prose only: the bullets and the value lists are in ``values`` already.
    prose = [
        " ".join(VALUE_LIST.sub(" ", block.split("•")[0]).split())
        for block in blocks(description)
        if not block.startswith(UL_MARK)
    ]
    prose = [text for text in prose if text]
    if not prose:
        return ""
    head, stop, tail = prose[0].partition("。")
    rest = sentences(" ".join([tail, *prose[1:]]))
    limits = [sentence for sentence in rest if any(m in sentence for m in LIMIT_MARKERS)]
    return " ".join([head.strip() + stop, *limits])


# --------------------------------------------------------------------------- tables


@dataclass
class Row:
    """One parameter row of a table, its description joined across page breaks."""

    line: int
    cell: str  # the name cell as printed
    required: bool | None
    type: str
    description: str
    group: str | None


def split_cells(line: Line, width: int) -> list[str]:
    cells = line.text.split("\t")
    if len(cells) != width:
        raise ManualError(f"line {line.number}: {len(cells)} cells, expected {width}")
    return cells


def parse_table(lines: Sequence[Line], where: str) -> list[Row]:
    """The rows of the table in ``lines`` (a heading's body); [] when it has no table."""
    rows: list[Row] = []
    width = 0
    group: str | None = None
    after_row = False
    for line in lines:
        if "\t" not in line.text:
            # Prose before or after the table, or a description spilled onto a line of its own.
            if line.text.strip() and after_row:
                rows[-1].description += " " + line.text.strip()
            else:
                after_row = False
            continue
        cells = tuple(cell.strip() for cell in line.text.split("\t"))
        if cells in (REQUEST_HEADER, RESPONSE_HEADER):
            width = len(cells)
            after_row = False
            continue
        if not width:
            raise ManualError(f"{where}, line {line.number}: table row before a header")
        if len(cells) != width:
            raise ManualError(f"{where}, line {line.number}: {len(cells)} cells, not {width}")
        after_row = True
        if not cells[0]:
            if not rows or any(cells[1:-1]):
                raise ManualError(f"{where}, line {line.number}: stray continuation row")
            rows[-1].description += " " + cells[-1]
        elif cells[0] in GROUPS and not any(cells[1:]):
            group = GROUPS[cells[0]]
        else:
            rows.append(parse_row(line.number, cells, group, where))
    return rows


def parse_row(number: int, cells: Sequence[str], group: str | None, where: str) -> Row:
    if len(cells) == 4:
        cell, required_cell, type_, description = cells
        if required_cell not in REQUIRED:
            raise ManualError(f"{where}, line {number}: required is {required_cell!r}")
        required: bool | None = REQUIRED[required_cell]
    else:
        cell, type_, description = cells
        required = None
    if type_ not in TYPES:
        raise ManualError(f"{where}, line {number}: unknown type {type_!r}")
    return Row(number, cell, required, type_, description, group)


# --------------------------------------------------------------------------- examples


@dataclass
class Example:
    line: int  # the line of the body's first character, or of the request/status line
    body: Any
    lines: list[Line] = field(repr=False)

    def key_line(self, key: str) -> int:
        pattern = re.compile(rf'"{re.escape(key)}"\s*:')
        for line in self.lines:
            if pattern.search(line.text):
                return line.number
        raise ManualError(f"example at line {self.line}: no key {key!r}")


def fences(lines: Sequence[Line]) -> Iterator[list[Line]]:
    """The contents of the fenced blocks in ``lines``."""
    inside: list[Line] | None = None
    for line in lines:
        if line.text.strip() == FENCE:
            if inside is None:
                inside = []
            else:
                yield inside
                inside = None
        elif inside is not None:
            inside.append(line)
    if inside is not None:
        raise ManualError(f"unclosed fence after line {lines[-1].number}")


def json_depth(text: str) -> int:
    """How many brackets ``text`` leaves open (strings skipped)."""
    depth, in_string, escaped = 0, False, False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
    return depth


def json_start(lines: Sequence[Line]) -> int:
    for index, line in enumerate(lines):
        if line.text.strip().startswith(("{", "[")):
            return index
    return -1


def starts_message(block: Sequence[Line]) -> bool:
    first = next((line.text.strip() for line in block if line.text.strip()), "")
    return first.startswith(("POST ", "HTTP/"))


def group_fences(blocks_: Iterable[list[Line]], where: str) -> list[list[Line]]:
    """Join the fences of one message: PDF page breaks split a message over several fences.

    A fence starting with a request or status line starts a message; any other fence must
    continue one whose JSON body is missing or still open.
    """
    messages: list[list[Line]] = []
    for block in blocks_:
        if block and block[0].number in STRAY_FENCES:
            if any(line.text.strip() not in ("", "]", "}") for line in block):
                raise ManualError(f"{where}: the fence at line {block[0].number} is not stray")
            continue
        if starts_message(block) or not messages:
            messages.append(list(block))
            continue
        current = messages[-1]
        start = json_start(current)
        if start >= 0 and json_depth("\n".join(line.text for line in current[start:])) <= 0:
            raise ManualError(f"{where}: stray fence at line {block[0].number}")
        current.extend(block)
    return messages


def parse_example(message: list[Line], where: str) -> Example:
    start = json_start(message)
    if start < 0:
        first = next(line for line in message if line.text.strip())
        return Example(first.number, None, message)
    body_lines = message[start:]
    try:
        body = json.loads("\n".join(line.text for line in body_lines))
    except json.JSONDecodeError as error:
        raise ManualError(f"{where}: example at line {body_lines[0].number}: {error}") from None
    return Example(body_lines[0].number, body, body_lines)


def parse_examples(lines: Sequence[Line], where: str) -> list[Example]:
    return [parse_example(message, where) for message in group_fences(fences(lines), where)]


def container_keys(
    body: Any, parent: str = "", out: dict[str, set[str]] | None = None
) -> dict[str, set[str]]:
    """For each container in an example body (root is ""), the lowercased keys it holds."""
    out = {} if out is None else out
    if isinstance(body, list):
        for item in body:
            container_keys(item, parent, out)
    elif isinstance(body, dict):
        for key, value in body.items():
            out.setdefault(parent, set()).add(key.lower())
            if isinstance(value, dict | list):
                container_keys(value, key.lower(), out)
    return out


def all_keys(body: Any) -> list[str]:
    if isinstance(body, list):
        return [key for item in body for key in all_keys(item)]
    if isinstance(body, dict):
        return [k for key, value in body.items() for k in (key, *all_keys(value))]
    return []


# --------------------------------------------------------------------------- sections


@dataclass
class Section:
    """One endpoint or report as read from the manual, keys not yet resolved."""

    name: str
    line: int
    tables: dict[str, list[Row]]  # "request" / "response"
    examples: dict[str, list[Example]]


def endpoint_sections(lines: Sequence[Line], reports_at: int) -> dict[str, Section]:
    starts = [i for i in range(reports_at) if lines[i].text.strip() == "Endpoint"]
    sections = {}
    for position, start in enumerate(starts):
        end = starts[position + 1] if position + 1 < len(starts) else reports_at
        path = endpoint_path(lines[start:end])
        name = path.text.strip() and ENDPOINT_LINE.fullmatch(path.text.strip())
        if not name:
            raise ManualError(f"line {path.number}: no endpoint after 'Endpoint'")
        if name.group(1) not in ENDPOINTS:
            continue
        if name.group(1) in sections:
            raise ManualError(f"line {path.number}: endpoint {name.group(1)} again")
        sections[name.group(1)] = endpoint_section(name.group(1), path.number, lines[start:end])
    missing = [name for name in ENDPOINTS if name not in sections]
    if missing:
        raise ManualError(f"endpoints not found: {', '.join(missing)}")
    return sections


def endpoint_path(lines: Sequence[Line]) -> Line:
    """The request line after 'Endpoint' (fenced or not)."""
    return next(line for line in lines[1:] if line.text.strip() not in ("", FENCE))


def endpoint_section(name: str, line: int, lines: Sequence[Line]) -> Section:
    headings = {
        text: find_line(lines, text)
        for text in ("请求参数", "响应参数", "实际示例", "请求示例", "响应示例")
    }
    for text in ("请求参数", "实际示例", "请求示例", "响应示例"):
        if headings[text] < 0:
            raise ManualError(f"{name}: no heading {text}")
    request_end = headings["响应参数"] if headings["响应参数"] >= 0 else headings["实际示例"]
    tables = {"request": parse_table(lines[headings["请求参数"] + 1 : request_end], name)}
    tables["response"] = (
        parse_table(lines[headings["响应参数"] + 1 : headings["实际示例"]], name)
        if headings["响应参数"] >= 0
        else []
    )
    examples = {
        "request": parse_examples(lines[headings["请求示例"] + 1 : headings["响应示例"]], name),
        "response": parse_examples(lines[headings["响应示例"] + 1 :], name),
    }
    return Section(name, line, tables, examples)


def report_sections(lines: Sequence[Line], start: int, end: int) -> dict[str, Section]:
    """The reports in REPORTS, keyed by the action their example sends."""
    # "报告参数-回铃事件" and the like start a section too (one of those left out).
    heads = [i for i in range(start, end) if lines[i].text.strip().startswith("报告参数")]
    sections = {}
    for position, head in enumerate(heads):
        stop = heads[position + 1] if position + 1 < len(heads) else end
        body = lines[head:stop]
        action = re.search(r'"action":\s*"(\w+)"', "\n".join(line.text for line in body))
        if not action or action.group(1) not in REPORTS:
            continue
        name = action.group(1)
        examples_at = find_line(body, "报告示例")
        if examples_at < 0:
            raise ManualError(f"report {name}: no heading 报告示例")
        examples = parse_examples(body[examples_at + 1 :], name)
        if any(not isinstance(e.body, dict) or e.body.get("action") != name for e in examples):
            raise ManualError(f"report {name}: an example sends another action")
        # A report is a POST the PBX sends: its table and examples are the request's.
        tables = {"request": parse_table(body[1:examples_at], name), "response": []}
        sections[name] = Section(
            name, lines[head].number, tables, {"request": examples, "response": []}
        )
    missing = [name for name in REPORTS if name not in sections]
    if missing:
        raise ManualError(f"reports not found: {', '.join(missing)}")
    return sections


# --------------------------------------------------------------------------- keys


def kind(name: str) -> str:
    return name.split("/")[0]


def spellings(section: Section, sections: dict[str, Section]) -> dict[str, str]:
    """Key spellings a garbled key may take, each with where it is written."""
    known: dict[str, str] = {}
    for other in sections.values():
        if other.name == section.name or kind(other.name) != kind(section.name):
            continue
        for side, rows in other.tables.items():
            for row in rows:
                key = strip_tags(row.cell)
                if IDENTIFIER.fullmatch(key):
                    known.setdefault(key, f"{other.name} {side} table, line {row.line}")
    for example in section.examples["request"]:
        for key in all_keys(example.body):
            known.setdefault(key, f"{section.name} request example, line {example.line}")
    return known


def one_off(a: str, b: str) -> bool:
    """Whether deleting one character from the longer of a and b gives the other."""
    if len(a) < len(b):
        a, b = b, a
    if len(a) != len(b) + 1:
        return False
    return any(a[:i] + a[i + 1 :] == b for i in range(len(a)))


def reconstruct(joined: str, known: dict[str, str], where: str) -> tuple[str, str]:
    """The spelling a garbled key stands for, and where that spelling comes from."""
    if joined in known:
        return joined, known[joined]
    for matches in (
        [key for key in known if key.lower() == joined.lower()],
        [key for key in known if one_off(key.lower(), joined.lower())],
    ):
        if len(matches) == 1:
            return matches[0], known[matches[0]]
        if len(matches) > 1:
            raise ManualError(f"{where}: garbled key {joined!r} matches {sorted(matches)}")
    raise ManualError(f"{where}: garbled key {joined!r} matches no known key")


def row_params(row: Row, known: dict[str, str], where: str) -> list[Param]:
    """The param(s) a row names: one, or several for a multi-key row."""
    where = f"{where}, line {row.line}"
    text = strip_tags(row.cell)
    note = short_note(row.description)
    values = allowed_values(row.description)

    def param(key: str, extra: str = "") -> Param:
        full_note = f"{note} ({extra})" if extra and note else note or extra
        return Param(
            key, row.required, row.type, values, row.line, None, row.group, row.cell, full_note
        )

    if IDENTIFIER.fullmatch(text):
        return [param(text)]
    pieces = text.split()
    if "<code>" in row.cell and all(IDENTIFIER.fullmatch(piece) for piece in pieces):
        key, source = reconstruct("".join(pieces), known, where)
        return [param(key, f"key reconstructed from a garbled cell; spelling from {source}")]
    if "<" not in row.cell and len(pieces) > 1 and all(IDENTIFIER.fullmatch(p) for p in pieces):
        extra = f"one of {len(pieces)} keys named in one row"
        return [param(piece, extra) for piece in pieces]
    raise ManualError(f"{where}: cannot read a key from {row.cell!r}")


# --------------------------------------------------------------------------- nesting


def hints_for(name: str, side: str) -> dict[int, StructureHint]:
    return {h.line: h for h in STRUCTURE_HINTS if h.endpoint == name and h.side == side}


def missing_container(params: Sequence[Param], examples: Sequence[Example]) -> Param | None:
    """The top-level container the response example answers with, if the table lacks it."""
    keys = {param.key for param in params}
    for example in examples:
        if not isinstance(example.body, dict):
            continue
        containers = [k for k, v in example.body.items() if isinstance(v, dict | list)]
        if len(containers) == 1 and containers[0] not in keys:
            key = containers[0]
            note = "container not in the table; taken from the response example"
            return Param(key, None, "Object", (), example.key_line(key), None, None, "", note)
    return None


def nest(params: list[Param], hints: dict[int, StructureHint], where: str) -> list[Param]:
    """Each param with its parent: an Object row opens a container for the rows after it."""
    stack: list[str] = []
    used: set[int] = set()
    nested: list[Param] = []
    for param in params:
        hint = hints.get(param.line)
        note = param.note
        if hint and hint.key == param.key:
            used.add(hint.line)
            note = f"{note} (nesting from a structure hint)".strip()
            if hint.close > len(stack):
                raise ManualError(f"{where}: hint at line {hint.line} closes too much")
            del stack[len(stack) - hint.close :]
        nested.append(replace(param, parent=stack[-1] if stack else None, note=note))
        opens = param.type == "Object"
        if hint and hint.key == param.key and hint.container is not None:
            opens = hint.container
        if opens:
            stack.append(param.key)
    unused = set(hints) - used
    if unused:
        raise ManualError(f"{where}: structure hints match no row: lines {sorted(unused)}")
    return nested


def check_nesting(params: Sequence[Param], examples: Sequence[Example], where: str) -> None:
    """A key an example shows must sit, in the example, under the param's parent."""
    places: dict[str, set[str]] = {}
    for example in examples:
        for container, keys in container_keys(example.body).items():
            for key in keys:
                places.setdefault(key, set()).add(container)
    for param in params:
        seen = places.get(param.key.lower())
        parent = (param.parent or "").lower()
        if seen and parent not in seen:
            shown = ", ".join(sorted(p or "(top level)" for p in seen))
            raise ManualError(
                f"{where}, line {param.line}: {param.key!r} has parent {param.parent!r} "
                f"but the examples show it under {shown}"
            )


def side_params(section: Section, side: str, known: dict[str, str]) -> list[Param]:
    where = f"{section.name} {side}"
    params = [p for row in section.tables[side] for p in row_params(row, known, where)]
    if not params:
        return []
    examples = section.examples[side]
    container = missing_container(params, examples) if side == "response" else None
    params = nest(params, hints_for(section.name, side), where)
    if container:
        params = [container] + [replace(p, parent=p.parent or container.key) for p in params]
    check_nesting(params, examples, where)
    return params


# --------------------------------------------------------------------------- output


def param_json(param: Param) -> Json:
    return {**asdict(param), "values": list(param.values)}


def section_json(section: Section, sections: dict[str, Section]) -> Json:
    known = spellings(section, sections)
    out: Json = {"name": section.name, "line": section.line}
    for side in ("request", "response"):
        out[side] = [param_json(param) for param in side_params(section, side, known)]
        out[f"{side}_examples"] = [
            {"line": example.line, "body": example.body} for example in section.examples[side]
        ]
    return out


def errnos(lines: Sequence[Line]) -> Json:
    start = max(i for i, line in enumerate(lines) if line.text.strip() == "错误代码")
    out: Json = {}
    for line in lines[start + 1 :]:
        if "\t" not in line.text or line.text.split("\t")[0] == "错误代码":
            continue
        code, text = (cell.strip() for cell in split_cells(line, 2))
        if not code.isdigit() or code in out:
            raise ManualError(f"line {line.number}: not an error-code row")
        out[code] = {"errno": code, "text": text, "line": line.number}
    if not out:
        raise ManualError("no error codes after the heading 错误代码")
    return out


def extract(text: str) -> Json:
    """The manual's facts as JSON-ready data (see the module docstring)."""
    lines = numbered(text)
    reports_at = find_line(lines, "API 报告示例")
    errors_at = max(i for i, line in enumerate(lines) if line.text.strip() == "错误代码")
    if reports_at < 0 or errors_at < reports_at:
        raise ManualError("no report section (API 报告示例) before the error codes")
    endpoints = endpoint_sections(lines, reports_at)
    reports = report_sections(lines, reports_at, errors_at)
    return {
        "source_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        "endpoints": {name: section_json(s, endpoints) for name, s in endpoints.items()},
        "reports": {name: section_json(s, reports) for name, s in reports.items()},
        "errnos": errnos(lines),
    }


def render(data: Json) -> str:
    return json.dumps(data, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def default_output() -> Path:
    return Path(__file__).with_name("facts.json")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pbxconf.manual.extract", description=__doc__)
    parser.add_argument("manual", type=Path, help="the manual's text dump")
    parser.add_argument("-o", "--output", type=Path, default=default_output())
    parser.add_argument("--check", action="store_true", help="exit 1 if the output would change")
    args = parser.parse_args(argv)
    # Bytes, not read_text(): the hash and the line numbers are of the file as it is.
    try:
        rendered = render(extract(args.manual.read_bytes().decode("utf-8")))
    except ManualError as error:
        print(f"{args.manual}: {error}", file=sys.stderr)
        return 2
    current = args.output.read_text("utf-8") if args.output.exists() else ""
    if args.check:
        if current == rendered:
            return 0
        diff = difflib.unified_diff(
            current.splitlines(keepends=True),
            rendered.splitlines(keepends=True),
            str(args.output),
            f"{args.output} (regenerated)",
        )
        sys.stdout.writelines(diff)
        return 1
    if current != rendered:
        args.output.write_text(rendered, "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
