"""Safe YAML to plain Python, keeping where every value came from.

PyYAML's safe composer builds the node graph; we construct the Python values ourselves so
that we can (1) record the line and column of every key and value by field path,
(2) refuse duplicate keys, and (3) bound the work done on hostile input (alias bombs,
deep nesting, huge documents) instead of hanging or exhausting memory.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import yaml

Path = tuple[str | int, ...]

MAX_BYTES = 5_000_000  # a rulebook is a few hundred KB at most
MAX_NODES = 200_000  # values after alias expansion
MAX_DEPTH = 64


@dataclass(frozen=True)
class Mark:
    line: int  # 1-based
    column: int  # 1-based


@dataclass
class Located:
    """A parsed document: plain data plus the position of each path."""

    data: object
    marks: dict[Path, Mark] = field(default_factory=dict)
    key_marks: dict[Path, Mark] = field(default_factory=dict)

    def mark_for(self, path: Path, key: bool = False) -> Mark:
        """Best position for path: the key (for unknown fields) or value, else nearest parent."""
        p = tuple(path)
        while True:
            if key and p in self.key_marks:
                return self.key_marks[p]
            if p in self.marks:
                return self.marks[p]
            if not p:
                return Mark(1, 1)
            p = p[:-1]


class YamlProblem(Exception):
    """Input that is not a usable YAML document; carries a position."""

    def __init__(self, message: str, mark: Mark, path: Path = ()):
        super().__init__(message)
        self.message = message
        self.mark = mark
        self.path = path


# libyaml's composer when PyYAML was built with it (several times faster); marks are the same.
_BaseComposer = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MERGE = "tag:yaml.org,2002:merge"
_VALUE = "tag:yaml.org,2002:value"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"


class _TooManyNodes(Exception):
    pass


class _Composer(_BaseComposer):  # type: ignore[misc, valid-type]
    """Stops composing once the document holds more than MAX_NODES nodes.

    Without this a 5 MB flow list like [1,1,1,...] composes 2.4 million nodes (30 s, 800 MB)
    before any limit is checked. Both composers call `resolve` once per node they create.
    """

    def __init__(self, stream):
        super().__init__(stream)
        self._nodes = 0

    def resolve(self, kind, value, implicit):
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise _TooManyNodes
        return super().resolve(kind, value, implicit)


def _mark(node: yaml.Node) -> Mark:
    return Mark(node.start_mark.line + 1, node.start_mark.column + 1)


def _value_children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return node.value
    if isinstance(node, yaml.MappingNode):
        return [v for _, v in node.value]
    return []


def _check_expansion(root: yaml.Node) -> None:
    """Refuse alias bombs and self-referencing anchors before expanding anything.

    Aliases make the node graph a DAG (or, with an alias inside its own anchor, a cycle)
    whose expanded size can be exponential in the text ("billion laughs"). Its size is
    computed here in one pass over the distinct nodes, without building any value.
    """
    size: dict[int, int] = {}
    open_: set[int] = set()  # nodes being expanded: the ancestors of the current one
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            open_.discard(key)
            total = 1 + sum(size[id(c)] for c in _value_children(node))
            if total > MAX_NODES:
                raise YamlProblem(
                    f"document expands to more than {MAX_NODES:,} values (alias bomb or far too large)",
                    _mark(node),
                )
            size[key] = total
            continue
        if key in size:
            continue
        open_.add(key)
        stack.append((node, True))
        for child in _value_children(node):
            if id(child) in open_:
                raise YamlProblem(
                    "an alias refers to the anchor that contains it: the value would be infinite",
                    _mark(child),
                )
            if id(child) not in size:
                stack.append((child, False))


class _Builder:
    def __init__(self) -> None:
        self.loader = yaml.SafeLoader("")
        self.count = 0
        self.marks: dict[Path, Mark] = {}
        self.key_marks: dict[Path, Mark] = {}

    def build(self, node: yaml.Node, path: Path, depth: int) -> object:
        self.count += 1
        if self.count > MAX_NODES:
            raise YamlProblem(
                f"document expands to more than {MAX_NODES:,} values (alias bomb or far too large)",
                _mark(node),
                path,
            )
        if depth > MAX_DEPTH:
            raise YamlProblem(f"nesting deeper than {MAX_DEPTH} levels", _mark(node), path)
        self.marks.setdefault(path, _mark(node))
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and node.tag not in (_MAP, _SEQ):
            # e.g. !!python/object:os.system {} or !!set: never constructed, and not read as plain data
            tag = str(node.tag).replace("tag:yaml.org,2002:", "!!")
            raise YamlProblem(f"tag '{tag[:60]}' is not allowed: a rulebook holds plain mappings and lists",
                              _mark(node), path)
        if isinstance(node, yaml.MappingNode):
            out: dict[str, object] = {}
            merged: list[yaml.Node] = []  # '<<' merge keys: mappings whose keys fill in, first wins
            for knode, vnode in node.value:
                if knode.tag == _MERGE:
                    subs = vnode.value if isinstance(vnode, yaml.SequenceNode) else [vnode]
                    bad = next((x for x in subs if not isinstance(x, yaml.MappingNode)), None)
                    if bad is not None:
                        raise YamlProblem("a merge key '<<' needs a mapping or a list of mappings",
                                          _mark(bad), path)
                    merged += subs
                    continue
                if not isinstance(knode, yaml.ScalarNode):
                    raise YamlProblem("mapping keys must be plain text", _mark(knode), path)
                key = "=" if knode.tag == _VALUE else self.scalar(knode, path)
                if not isinstance(key, str):
                    key = str(key)
                if key in out:
                    first = self.key_marks.get(path + (key,))
                    where = f" (first at line {first.line})" if first else ""
                    shown = key if len(key) <= 40 else key[:37] + "..."
                    raise YamlProblem(f"duplicate key '{shown}'{where}", _mark(knode), path + (key,))
                self.key_marks.setdefault(path + (key,), _mark(knode))
                out[key] = self.build(vnode, path + (key,), depth + 1)
            for sub in merged:  # YAML merge: keys given explicitly override merged ones
                for k, v in self.build(sub, path, depth + 1).items():
                    out.setdefault(k, v)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(v, path + (i,), depth + 1) for i, v in enumerate(node.value)]
        return self.scalar(node, path)

    def scalar(self, node: yaml.Node, path: Path) -> object:
        """One scalar (a value or a key), refused with a position if it is unusable."""
        if node.tag == "tag:yaml.org,2002:int" and len(node.value) > 40:  # not 4,300-digit ints
            raise YamlProblem(f"number too large: {node.value[:40]}...", _mark(node), path)
        try:
            value = self.loader.construct_object(node)
        # e.g. date 2020-02-31, unknown tag; PyYAML's constructors fail on some explicitly tagged
        # values with other errors: `!!timestamp x` (AttributeError), an empty `!!float` (IndexError)
        except (ValueError, OverflowError, TypeError, AttributeError, IndexError, KeyError, yaml.YAMLError) as e:
            msg = getattr(e, "problem", None) or str(e)
            if isinstance(e, AttributeError | TypeError | IndexError | KeyError):
                msg = f"not a valid {str(node.tag).rsplit(':', 1)[-1]}"
            raise YamlProblem(f"bad value {str(node.value)[:40]!r}: {msg}", _mark(node), path) from None
        if isinstance(value, float) and not math.isfinite(value):
            raise YamlProblem(f"expected a finite number, got {node.value[:40]!r}", _mark(node), path)
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**15:
            raise YamlProblem(f"number too large: {node.value[:40]}", _mark(node), path)
        if isinstance(value, bytes):
            raise YamlProblem("binary values are not allowed", _mark(node), path)
        return value


def parse_yaml(text: str | bytes, name: str = "<string>") -> Located:
    """Parse one YAML document safely. Raises YamlProblem with a position on bad input."""
    if isinstance(text, bytes):
        if len(text) > MAX_BYTES:
            raise YamlProblem(f"file is {len(text):,} bytes; the limit is {MAX_BYTES:,}", Mark(1, 1))
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            line = text[: e.start].count(b"\n") + 1
            raise YamlProblem(f"not UTF-8 text (byte 0x{text[e.start]:02x} at offset {e.start})", Mark(line, 1)) from None
    if len(text) > MAX_BYTES:
        raise YamlProblem(f"file is {len(text):,} characters; the limit is {MAX_BYTES:,}", Mark(1, 1))
    if not text.strip():
        raise YamlProblem("the file is empty; expected a rulebook mapping", Mark(1, 1))
    try:
        loader = _Composer(text)
        try:
            root = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.reader.ReaderError as e:  # a control character: locate it ourselves
        pos = e.position
        line = text.count("\n", 0, pos) + 1
        col = pos - (text.rfind("\n", 0, pos) + 1) + 1
        what = f"#x{e.character:04x}" if isinstance(e.character, int) else repr(e.character)
        raise YamlProblem(f"character {what} is not allowed in YAML ({e.reason})", Mark(line, col)) from None
    except yaml.MarkedYAMLError as e:
        m = e.problem_mark or e.context_mark
        pos = Mark(m.line + 1, m.column + 1) if m else Mark(1, 1)
        raise YamlProblem(f"YAML syntax: {e.problem or e.context}", pos) from None
    except yaml.YAMLError as e:
        raise YamlProblem(f"YAML syntax: {e}", Mark(1, 1)) from None
    except RecursionError:
        raise YamlProblem("nesting too deep to parse", Mark(1, 1)) from None
    except _TooManyNodes:
        raise YamlProblem(
            f"document has more than {MAX_NODES:,} values; a rulebook has far fewer", Mark(1, 1)
        ) from None
    if root is None:
        raise YamlProblem("the file is empty; expected a rulebook mapping", Mark(1, 1))
    _check_expansion(root)
    b = _Builder()
    try:
        data = b.build(root, (), 0)
    except RecursionError:
        raise YamlProblem("nesting too deep to parse", Mark(1, 1)) from None
    except yaml.YAMLError as e:  # constructor problems (bad timestamps, tags)
        m = getattr(e, "problem_mark", None)
        pos = Mark(m.line + 1, m.column + 1) if m else Mark(1, 1)
        raise YamlProblem(f"YAML value: {getattr(e, 'problem', None) or e}", pos) from None
    return Located(data, b.marks, b.key_marks)
