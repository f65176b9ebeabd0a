"""A YAML document as a tree of nodes that keep their ranges.

Built from PyYAML's event stream (libyaml's C parser when available) rather than its
composer, because the composer forgets where an alias was written and silently keeps the
last of two duplicate keys. Building the tree ourselves lets us point at the alias, report
duplicates, refuse an alias bomb or a recursive alias before expanding it, and stop at a
second document while keeping the first.

Hostile text must cost little: reading stops after `MAX_NODES` values, duplicate keys are
found with one dict per mapping, and every walk over the tree is iterative or bounded by
`MAX_DEPTH`, so any text gets its diagnostic in milliseconds rather than a hang.

Values are resolved and constructed exactly as `yaml.safe_load` would (YAML 1.1: `yes` is
true), so the profile means what PyYAML users expect.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import yaml

from vllm_wizard.profile.diagnostics import (
    Code,
    Diagnostic,
    Listing,
    RelatedInformation,
    Severity,
)
from vllm_wizard.profile.positions import Position, Range, split_lines

NodeKind = Literal["mapping", "sequence", "scalar"]
PathSegment = str | int
Path = tuple[PathSegment, ...]

MAX_DEPTH = 64
"""Nesting deeper than this is no profile; refusing it keeps every walk shallow."""

MAX_EXPANDED_NODES = 10_000
"""A profile has a few hundred values; aliases that expand past this are an alias bomb."""

MAX_CHARS = 4_000_000
"""A profile is a few KiB; a file this long is refused before YAML reads it."""

MAX_NODES = MAX_EXPANDED_NODES
"""Values read before giving up on a file (it takes ~10 µs each). No larger than
`MAX_EXPANDED_NODES`, so a tree that expands past that limit does so through its aliases."""

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
"""Half of a UTF-16 surrogate pair: JSON lets a client send one; no encoder accepts it."""

REPLACEMENT_CHARACTER = "\ufffd"

_LEFT_OUT = {
    Code.DUPLICATE_KEY: "duplicate keys (YAML keeps only the last of each)",
    Code.INVALID_VALUE: "invalid values",
    Code.ALIAS_EXPANSION: "recursive aliases",
}
"""How the summary of findings past `MAX_LISTED` names them."""

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
    _index: tuple[int, dict[Any, Pair]] | None = field(default=None, repr=False)
    """A mapping's keys → their last pair, for the number of pairs it was built from."""

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
        found = node._keys().get(key)
        if found is not None:
            return found
        for merged in _merge_sources(node):
            inherited = merged.get(key)
            if inherited is not None:
                return inherited
        return None

    def _keys(self) -> dict[Any, Pair]:
        """Built once per mapping, so a lookup costs the same in a mapping of 5,000 keys."""
        if self._index is None or self._index[0] != len(self.pairs):
            keys: dict[Any, Pair] = {}
            for pair in self.pairs:
                if pair.key.source != MERGE_KEY:
                    try:
                        keys[pair.key.value] = pair
                    except TypeError:  # an unhashable key value: `get` takes strings only
                        continue
            self._index = (len(self.pairs), keys)
        return self._index[1]

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
    values: int = 0
    """YAML values read (keys, items and scalars; what re-reading the text costs)."""
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


class _TooLarge(Exception):
    """Raised inside the builder when the text holds more values than a profile could."""


class _TreeBuilder:
    """Turns PyYAML events into a `Node` tree, reporting what PyYAML lets pass."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.loader = _Loader("")
        self.constructor = yaml.SafeLoader("")
        self.anchors: dict[str, Node] = {}
        self.found = Listing()
        self.root: Node | None = None
        self.open: list[Node] = []
        """Collections being read, outermost first; an alias to one of them is recursive."""
        self.keys_seen: dict[int, dict[Any, Node]] = {}
        """For each open mapping (by id): its keys so far → the first key node of each."""
        self.aliases: list[tuple[Node, int]] = []
        """Every alias with the number of collections around it, for the expansion check."""
        self.count = 0

    def error(self, range_: Range, code: Code, message: str, **data: Any) -> None:
        self.found.add(Diagnostic(range_, Severity.ERROR, code, message, data=data or None))

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return self.found.result(_LEFT_OUT)

    def counted(self, node: Node) -> Node:
        """Count one value read; past `MAX_NODES` the file is no profile."""
        self.count += 1
        if self.count > MAX_NODES:
            line = node.range.start.line + 1
            self.found = Listing()  # what was found so far in a non-profile helps no one
            self.error(
                Range(node.range.start, node.range.start),
                Code.DOCUMENT_TOO_LARGE,
                f"This file holds more than {MAX_NODES:,} YAML values; a profile has a few"
                f" hundred, so reading stopped here (line {line:,}).",
            )
            raise _TooLarge
        return node

    def build(self) -> None:
        try:
            self._build()
        except _TooLarge:
            self.root = None

    def _build(self) -> None:
        stack = self.open
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
                node = self.counted(self.alias(event))
            elif isinstance(event, yaml.ScalarEvent):
                node = self.counted(self.scalar(event))
            elif isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
                kind: NodeKind = (
                    "mapping" if isinstance(event, yaml.MappingStartEvent) else "sequence"
                )
                opened = self.counted(
                    Node(
                        kind,
                        _range(event.start_mark, event.end_mark),
                        tag=event.tag or "",
                        flow=bool(event.flow_style),
                    )
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
                self.keys_seen.pop(id(node), None)
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

    def alias(self, event: Any) -> Node:
        """`*name`: a node pointing at its anchor; a null where that would make a loop."""
        target = self.anchors.get(event.anchor or "")
        range_ = _range(event.start_mark, event.end_mark)
        if target is None:  # libyaml reports it first; kept for the pure-Python parser
            self.error(range_, Code.YAML_SYNTAX, f"Unknown alias *{event.anchor}.")
            target = Node("scalar", range_)
        elif any(target is node for node in self.open):
            self.error(
                range_,
                Code.ALIAS_EXPANSION,
                f"The alias *{event.anchor} stands for the {target.kind} it is written in,"
                " which would then contain itself without end; write the value out instead.",
            )
            return Node("scalar", range_)
        node = Node(target.kind, range_, tag=target.tag, target=target)
        self.aliases.append((node, len(self.open)))
        return node

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
        """Append a pair; a key already in this mapping is reported (one dict lookup)."""
        pair = Pair(key, value)
        resolved_key = key.resolved
        if resolved_key.kind != "scalar":
            self.error(
                key.range,
                Code.INVALID_VALUE,
                "A key must be a plain name, not a list or a mapping.",
            )
        elif not _is_merge(pair):
            seen = self.keys_seen.setdefault(id(mapping), {})
            try:
                earlier = seen.setdefault(resolved_key.value, key)
            except TypeError:  # an unhashable value (no scalar PyYAML builds is one)
                earlier = key
            if earlier is not key:
                self.found.add(
                    Diagnostic(
                        key.range,
                        Severity.ERROR,
                        Code.DUPLICATE_KEY,
                        f"Duplicate key `{resolved_key.source}`: YAML keeps only the last"
                        " one, so the earlier value is silently lost. Remove one of them.",
                        related=(RelatedInformation(earlier.range, "first defined here"),),
                    )
                )
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


def _without_lone_surrogates(text: str) -> tuple[str, Diagnostic | None]:
    """`text` with each lone surrogate replaced by U+FFFD (one code point for one, so every
    position stays put), and an error at the first one."""
    first = _LONE_SURROGATE.search(text)
    if first is None:
        return text, None
    before = text[: first.start()]
    line = before.count("\n") + before.count("\r") - before.count("\r\n")
    column = len(before) - max(before.rfind("\n"), before.rfind("\r")) - 1
    count = len(_LONE_SURROGATE.findall(text))
    others = f" ({count - 1:,} more in the file)" if count > 1 else ""
    return _LONE_SURROGATE.sub(REPLACEMENT_CHARACTER, text), Diagnostic(
        Range.at(line, column, 1),
        Severity.ERROR,
        Code.ENCODING,
        f"Invalid character U+{ord(first.group()):04X}, half of a UTF-16 surrogate pair,"
        f" which no file encoding can hold{others}; delete it and type the character again.",
    )


def _too_long(text: str) -> Diagnostic:
    return Diagnostic(
        Range.at(0, 0),
        Severity.ERROR,
        Code.DOCUMENT_TOO_LARGE,
        f"This file has {len(text):,} characters; a profile has a few thousand, so it is not"
        f" read (the limit is {MAX_CHARS:,}).",
    )


def parse_document(text: str) -> ParsedDocument:
    """Parse `text`; never raises. A syntax error yields one diagnostic at its position."""
    if len(text) > MAX_CHARS:
        return ParsedDocument(text, None, [_too_long(text)], syntax_ok=True)
    text, invalid = _without_lone_surrogates(text)
    found = [invalid] if invalid is not None else []
    builder = _TreeBuilder(text)
    try:
        builder.build()
    except yaml.YAMLError as exc:
        return ParsedDocument(text, None, [*found, _syntax_diagnostic(text, exc)], False)
    root = builder.root
    diagnostics = [*found, *builder.diagnostics]
    if root is not None:
        problem = _expansion_problem(root, builder.aliases)
        if problem is not None:
            diagnostics.append(problem)
            root = None
    return ParsedDocument(text, root, diagnostics, syntax_ok=True, values=builder.count)


def _children(node: Node) -> Iterator[Node]:
    for pair in node.pairs:
        yield pair.key.resolved
        yield pair.value.resolved
    for item in node.items:
        yield item.resolved


def _measure(root: Node) -> dict[int, tuple[int, int]]:
    """(values, collection levels) of every node once aliases are expanded, by id.

    Iterative and memoised per anchored node, so it is linear in the text even for an alias
    bomb, and deep alias chains cannot exhaust Python's stack.
    """
    sizes: dict[int, tuple[int, int]] = {}
    started: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root.resolved, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in sizes:
            continue
        if not children_done:
            if id(node) in started:  # a loop (the builder breaks them; never follow one)
                continue
            started.add(id(node))
            stack.append((node, True))
            stack.extend((child, False) for child in _children(node) if id(child) not in sizes)
            continue
        measured = [sizes.get(id(child), (1, 0)) for child in _children(node)]
        count = min(1 + sum(size for size, _ in measured), 10**12)
        levels = 1 + max((depth for _, depth in measured), default=0)
        sizes[id(node)] = (count, levels if node.kind != "scalar" else 0)
    return sizes


def _expansion_problem(root: Node, aliases: list[tuple[Node, int]]) -> Diagnostic | None:
    """An error at the alias that makes the expanded tree too large or too deep, if one does.

    The tree as written is within `MAX_NODES` and `MAX_DEPTH` (the builder stopped
    otherwise), so only aliases can take it past them.
    """
    if not aliases:
        return None
    sizes = _measure(root)
    total = sizes[id(root.resolved)][0]
    if total > MAX_EXPANDED_NODES:
        alias, size = max(
            ((alias, sizes[id(alias.resolved)][0]) for alias, _ in aliases), key=lambda a: a[1]
        )
        return Diagnostic(
            alias.range,
            Severity.ERROR,
            Code.ALIAS_EXPANSION,
            f"Aliases here would expand to about {size:,} values (more than"
            f" {MAX_EXPANDED_NODES:,}); refusing to expand them.",
        )
    for alias, depth in aliases:
        if depth + sizes[id(alias.resolved)][1] > MAX_DEPTH:
            return Diagnostic(
                alias.range,
                Severity.ERROR,
                Code.ALIAS_EXPANSION,
                f"This alias would nest values more than {MAX_DEPTH} levels deep once"
                " expanded; refusing to expand it.",
            )
    return None


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

    Skipping lets a location with a segment the tree does not have (`[key]` after a key that
    is not text) land on the node it concerns. The key is None for list items and the root.
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
