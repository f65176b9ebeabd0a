"""A YAML document as a tree of nodes that keep their ranges.

Built from PyYAML's event stream (libyaml's C parser when available) rather than its
composer, because the composer forgets where an alias was written and silently keeps the
last of two duplicate keys. Building the tree ourselves lets us point at the alias, report
duplicates, refuse an alias bomb before expanding it, and stop at a second document while
keeping the first.

Values are resolved and constructed exactly as `yaml.safe_load` would (YAML 1.1: `yes` is
true), so the profile means what PyYAML users expect.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import yaml

from vllm_wizard.profile.diagnostics import Code, Diagnostic, RelatedInformation, Severity
from vllm_wizard.profile.positions import Position, Range, split_lines

NodeKind = Literal["mapping", "sequence", "scalar"]
PathSegment = str | int
Path = tuple[PathSegment, ...]

MAX_DEPTH = 64
"""Nesting deeper than this is no profile; refusing it keeps every walk shallow."""

MAX_EXPANDED_NODES = 10_000
"""A profile has a few hundred values; aliases that expand past this are an alias bomb."""

MERGE_KEY = "<<"
MERGE_TAG = "tag:yaml.org,2002:merge"
"""The tag PyYAML's resolver gives a plain `<<` key; merges are applied by `Node.get`."""

_Loader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(slots=True, eq=False)
class Node:
    """One YAML node with its range; an alias is a node of its own pointing at its target."""

    kind: NodeKind
    range: Range
    tag: str = ""
    value: Any = None
    """For a scalar: the constructed Python value (str, int, float, bool, None, ...)."""
    source: str = ""
    """For a scalar: the text as written, without quotes."""
    quoted: bool = False
    flow: bool = False
    pairs: list[Pair] = field(default_factory=list)
    items: list[Node] = field(default_factory=list)
    target: Node | None = None
    """For an alias (`*name`): the anchored node it stands for."""

    @property
    def resolved(self) -> Node:
        """The node itself, or the anchored node when this is an alias."""
        return self.target if self.target is not None else self

    @property
    def is_alias(self) -> bool:
        return self.target is not None

    @property
    def is_missing(self) -> bool:
        """True for `key:` with nothing after it (as opposed to an explicit `null`)."""
        return (
            self.kind == "scalar"
            and self.target is None
            and self.value is None
            and self.source == ""
            and not self.quoted
        )

    def get(self, key: str) -> Pair | None:
        """The pair for `key` in a mapping (the last one, as PyYAML keeps), merges included."""
        node = self.resolved
        if node.kind != "mapping":
            return None
        found: Pair | None = None
        for pair in node.pairs:
            if pair.key.value == key and pair.key.source != MERGE_KEY:
                found = pair
        if found is not None:
            return found
        for merged in _merge_sources(node):
            inherited = merged.get(key)
            if inherited is not None:
                return inherited
        return None

    def mapping_pairs(self) -> Iterator[Pair]:
        """Pairs of a mapping as written, merge keys excluded."""
        node = self.resolved
        if node.kind == "mapping":
            for pair in node.pairs:
                if not _is_merge(pair):
                    yield pair


@dataclass(slots=True, eq=False)
class Pair:
    """A key and its value in a mapping."""

    key: Node
    value: Node

    @property
    def range(self) -> Range:
        return Range(self.key.range.start, self.value.range.end)


@dataclass(slots=True)
class ParsedDocument:
    """The result of parsing: the tree (None when the text has no usable document) and the
    syntax-stage diagnostics."""

    text: str
    root: Node | None
    diagnostics: list[Diagnostic]
    syntax_ok: bool
    """False when the YAML did not parse; `root` is then None."""
    _lines: list[str] | None = None

    @property
    def lines(self) -> list[str]:
        if self._lines is None:
            self._lines = split_lines(self.text)
        return self._lines


def _is_merge(pair: Pair) -> bool:
    return pair.key.kind == "scalar" and pair.key.source == MERGE_KEY and not pair.key.quoted


def _merge_sources(mapping: Node) -> Iterator[Node]:
    """Mappings merged into `mapping` with `<<:`, nearest first (YAML 1.1 merge keys)."""
    for pair in mapping.pairs:
        if not _is_merge(pair):
            continue
        value = pair.value.resolved
        sources = value.items if value.kind == "sequence" else [value]
        for source in sources:
            if source.resolved.kind == "mapping":
                yield source.resolved


def _position(mark: Any) -> Position:
    return Position(mark.line, mark.column)


def _range(start_mark: Any, end_mark: Any) -> Range:
    return Range(_position(start_mark), _position(end_mark))


class _TreeBuilder:
    """Turns PyYAML events into a `Node` tree, reporting what PyYAML lets pass."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.loader = _Loader("")
        self.constructor = yaml.SafeLoader("")
        self.anchors: dict[str, Node] = {}
        self.diagnostics: list[Diagnostic] = []
        self.root: Node | None = None

    def error(self, range_: Range, code: Code, message: str, **data: Any) -> None:
        self.diagnostics.append(
            Diagnostic(range_, Severity.ERROR, code, message, data=data or None)
        )

    def build(self) -> None:
        stack: list[Node] = []
        pending_keys: list[Node | None] = []
        documents = 0
        for event in yaml.parse(self.text, Loader=_Loader):
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    start = _position(event.start_mark)
                    self.error(
                        Range(start, Position(start.line, start.character + 3)),
                        Code.MULTIPLE_DOCUMENTS,
                        "A profile is one YAML document; this second document (after `---`)"
                        " is ignored. Put it in a file of its own.",
                    )
                    return
                continue
            node: Node | None = None
            if isinstance(event, yaml.AliasEvent):
                target = self.anchors.get(event.anchor or "")
                range_ = _range(event.start_mark, event.end_mark)
                if target is None:  # libyaml reports it first; kept for the pure-Python parser
                    self.error(range_, Code.YAML_SYNTAX, f"Unknown alias *{event.anchor}.")
                    target = Node("scalar", range_)
                node = Node(target.kind, range_, tag=target.tag, target=target)
            elif isinstance(event, yaml.ScalarEvent):
                node = self.scalar(event)
            elif isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
                kind: NodeKind = (
                    "mapping" if isinstance(event, yaml.MappingStartEvent) else "sequence"
                )
                opened = Node(
                    kind,
                    _range(event.start_mark, event.end_mark),
                    tag=event.tag or "",
                    flow=bool(event.flow_style),
                )
                standard = f"tag:yaml.org,2002:{'map' if kind == 'mapping' else 'seq'}"
                if event.tag not in (None, "!", standard):
                    self.unsupported_tag(opened.range, event.tag)
                if len(stack) >= MAX_DEPTH:
                    self.error(
                        opened.range,
                        Code.INVALID_VALUE,
                        f"Nesting deeper than {MAX_DEPTH} levels: this is not a profile.",
                    )
                    self.root = None
                    return
                if event.anchor:
                    self.anchors[event.anchor] = opened
                stack.append(opened)
                pending_keys.append(None)
                continue
            elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
                node = stack.pop()
                pending_keys.pop()
                node.range = Range(node.range.start, _position(event.end_mark))
            else:
                continue
            if not stack:
                self.root = node
                continue
            parent = stack[-1]
            if parent.kind == "sequence":
                parent.items.append(node)
            elif pending_keys[-1] is None:
                pending_keys[-1] = node
            else:
                key = pending_keys[-1]
                assert key is not None
                pending_keys[-1] = None
                self.add_pair(parent, key, node)

    def unsupported_tag(self, range_: Range, tag: str) -> None:
        self.error(
            range_,
            Code.INVALID_VALUE,
            f"Unsupported YAML tag `{tag}`: a profile holds plain strings, numbers,"
            " booleans, lists and mappings.",
        )

    def scalar(self, event: Any) -> Node:
        range_ = _range(event.start_mark, event.end_mark)
        tag = event.tag
        if tag is None or tag == "!":
            tag = self.loader.resolve(yaml.ScalarNode, event.value, event.implicit)
        scalar = yaml.ScalarNode(tag, event.value, style=event.style)
        node = Node(
            "scalar",
            range_,
            tag=tag,
            source=event.value,
            quoted=event.style in ("'", '"'),
        )
        construct = self.constructor.yaml_constructors.get(tag)
        if tag == MERGE_TAG:
            node.value = event.value
        elif construct is None:
            self.unsupported_tag(range_, tag)
            node.value = event.value
        else:
            try:
                node.value = construct(self.constructor, scalar)
            except (yaml.YAMLError, ValueError) as exc:
                self.error(range_, Code.INVALID_VALUE, f"Invalid {tag} value: {exc}")
                node.value = event.value
        if event.anchor:
            self.anchors[event.anchor] = node
        return node

    def add_pair(self, mapping: Node, key: Node, value: Node) -> None:
        pair = Pair(key, value)
        resolved_key = key.resolved
        if resolved_key.kind != "scalar":
            self.error(
                key.range,
                Code.INVALID_VALUE,
                "A key must be a plain name, not a list or a mapping.",
            )
        elif not _is_merge(pair):
            for earlier in mapping.pairs:
                if not _is_merge(earlier) and earlier.key.resolved.value == resolved_key.value:
                    self.diagnostics.append(
                        Diagnostic(
                            key.range,
                            Severity.ERROR,
                            Code.DUPLICATE_KEY,
                            f"Duplicate key `{resolved_key.source}`: YAML keeps only the last"
                            " one, so the earlier value is silently lost. Remove one of them.",
                            related=(RelatedInformation(earlier.key.range, "first defined here"),),
                        )
                    )
                    break
        mapping.pairs.append(pair)


def _syntax_diagnostic(text: str, exc: yaml.YAMLError) -> Diagnostic:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line, column = (mark.line, mark.column) if mark is not None else (0, 0)
    lines = split_lines(text)
    line_text = lines[line] if line < len(lines) else ""
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    if "\t" in line_text[: column + 1] and line_text[:column].strip(" \t") == "":
        return Diagnostic(
            Range.at(line, column, 1),
            Severity.ERROR,
            Code.YAML_TAB,
            "Tab character in indentation: YAML indents with spaces only. Replace the tab"
            " with spaces.",
        )
    message = f"YAML syntax error: {problem}"
    if context:
        message += f" ({context})"
    length = 1 if column < len(line_text) else 0
    return Diagnostic(Range.at(line, column, length), Severity.ERROR, Code.YAML_SYNTAX, message)


def parse_document(text: str) -> ParsedDocument:
    """Parse `text`; never raises. A syntax error yields one diagnostic at its position."""
    builder = _TreeBuilder(text)
    try:
        builder.build()
    except yaml.YAMLError as exc:
        return ParsedDocument(text, None, [_syntax_diagnostic(text, exc)], syntax_ok=False)
    root = builder.root
    diagnostics = builder.diagnostics
    if root is not None:
        bomb = _find_alias_bomb(root)
        if bomb is not None:
            alias, size = bomb
            diagnostics.append(
                Diagnostic(
                    alias.range,
                    Severity.ERROR,
                    Code.ALIAS_EXPANSION,
                    f"Aliases here would expand to about {size:,} values (more than"
                    f" {MAX_EXPANDED_NODES:,}); refusing to expand them.",
                )
            )
            root = None
    return ParsedDocument(text, root, diagnostics, syntax_ok=True)


def _find_alias_bomb(root: Node) -> tuple[Node, int] | None:
    """The alias whose expansion is largest, when the whole tree expands past the limit.

    Sizes are memoised per anchored node, so this is linear in the text even for a bomb.
    """
    sizes: dict[int, int] = {}

    def size(node: Node) -> int:
        node = node.resolved
        known = sizes.get(id(node))
        if known is not None:
            return known
        sizes[id(node)] = 1  # guards against a recursive alias
        total = 1 + sum(size(item) for item in node.items)
        total += sum(size(pair.key) + size(pair.value) for pair in node.pairs)
        total = min(total, 10**12)
        sizes[id(node)] = total
        return total

    total = size(root)
    if total <= MAX_EXPANDED_NODES:
        return None
    worst: tuple[Node, int] | None = None
    for node in walk(root):
        if node.is_alias:
            expanded = size(node)
            if worst is None or expanded > worst[1]:
                worst = (node, expanded)
    return worst if worst is not None else (root, total)


def walk(root: Node) -> Iterator[Node]:
    """Every node as written (aliases are not followed), keys before their values."""
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        children: list[Node] = []
        for pair in node.pairs:
            children.extend((pair.key, pair.value))
        children.extend(node.items)
        stack.extend(reversed(children))


def to_python(node: Node) -> Any:
    """The plain Python value of `node`, as `yaml.safe_load` would give it (merges applied).

    Only call on a tree `parse_document` accepted: its alias expansion is bounded.
    """
    node = node.resolved
    if node.kind == "scalar":
        return node.value
    if node.kind == "sequence":
        return [to_python(item) for item in node.items]
    result: dict[Any, Any] = {}
    for merged in reversed(list(_merge_sources(node))):
        merged_value = to_python(merged)
        if isinstance(merged_value, dict):
            result.update(merged_value)
    for pair in node.mapping_pairs():
        key = pair.key.resolved.value if pair.key.resolved.kind == "scalar" else None
        result[key] = to_python(pair.value)
    return result


def lookup(root: Node | None, path: Sequence[PathSegment]) -> tuple[Node | None, Node | None]:
    """(key node, value node) at `path`; segments that do not match are skipped.

    Skipping lets pydantic error locations with union tags (`('model', 'max_model_len',
    'int')`) land on the node they concern. The key is None for list items and the root.
    """
    key: Node | None = None
    node = root
    for segment in path:
        if node is None:
            break
        current = node.resolved
        if isinstance(segment, int) and current.kind == "sequence":
            if 0 <= segment < len(current.items):
                key, node = None, current.items[segment]
            continue
        if isinstance(segment, str) and current.kind == "mapping":
            pair = current.get(segment)
            if pair is not None:
                key, node = pair.key, pair.value
            continue
    return key, node
