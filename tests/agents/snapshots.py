"""Two snapshot formats read into one node list, so the same task solvers run on both:

- ours (`browser_snapshot` of `opendevbrowser mcp`): one element per line, two spaces of
  indent per level, `[r12] role "name" key=value key="quoted" flag`, `role: inline text`,
  and `text: ...` for plain text;
- Playwright MCP's YAML-like aria snapshot: `- role "name" [attr] [ref=e12]: text`,
  `- text: ...`, `- /url: ...` (a property of the element above).
"""

import json
import re

_DECODER = json.JSONDecoder()


class Node:
    def __init__(self, depth, ref, role, name="", text="", attrs=None):
        self.depth, self.ref, self.role = depth, ref, role
        self.name, self.text = name or "", text or ""
        self.attrs = attrs or {}
        self.parent, self.children, self.index = None, [], 0
        self.line = ""

    def label(self):
        """What a person reads on the element itself: its name, else its inline text."""
        return (self.name or self.text).strip()

    def descendants(self):
        for c in self.children:
            yield c
            yield from c.descendants()

    def all_text(self):
        """Its own label and every descendant's, in document order."""
        parts = [self.label()] + [d.label() for d in self.descendants()]
        return " ".join(p for p in parts if p)

    def ancestors(self):
        n = self.parent
        while n is not None:
            yield n
            n = n.parent

    def clickable(self):
        """Marked clickable by the format (ours: `clickable`; Playwright: cursor=pointer)."""
        return bool(self.attrs.get("clickable") or self.attrs.get("cursor") == "pointer")

    def value(self):
        v = self.attrs.get("value")
        if isinstance(v, str):
            return v
        return self.text if self.role in ("textbox", "searchbox") else ""

    def __repr__(self):
        return f"Node({self.depth}, {self.ref}, {self.role}, {self.name!r}, {self.text!r}, {self.attrs})"


def _link(nodes):
    stack = []
    for i, n in enumerate(nodes):
        n.index = i
        while stack and stack[-1].depth >= n.depth:
            stack.pop()
        if stack:
            n.parent = stack[-1]
            stack[-1].children.append(n)
        stack.append(n)
    return nodes


def _string(s, pos):
    """A JSON string at s[pos] ('"'); (value, end). Falls back to the next bare quote."""
    try:
        return _DECODER.raw_decode(s, pos)
    except ValueError:
        end = s.find('"', pos + 1)
        end = len(s) if end < 0 else end
        return s[pos + 1:end], end + 1


_OURS_LINE = re.compile(r"^( *)(?:\[([A-Za-z]*\d+)\] )?(.*)$")
_ROLE = re.compile(r"[A-Za-z][\w-]*")


def parse_ours(content):
    nodes = []
    for line in content.splitlines():
        if not line.strip() or line.startswith("# "):
            continue
        m = _OURS_LINE.match(line)
        indent, ref, rest = len(m.group(1)), m.group(2), m.group(3)
        if rest.startswith("text:"):
            nodes.append(Node(indent // 2, ref, "text", text=rest[5:].strip()))
            continue
        role = _ROLE.match(rest)
        if not role:
            continue
        node = Node(indent // 2, ref, role.group(0))
        node.line = line
        pos = role.end()
        if rest[pos:pos + 2] == ' "':
            node.name, pos = _string(rest, pos + 1)
        while pos < len(rest):
            while pos < len(rest) and rest[pos] == " ":
                pos += 1
            if pos >= len(rest):
                break
            if rest[pos] == ":":
                node.text = rest[pos + 1:].strip()
                break
            key = re.compile(r"[^\s=:]+").match(rest, pos)
            if not key:
                break
            pos = key.end()
            if rest[pos:pos + 1] == "=":
                pos += 1
                if rest[pos:pos + 1] == '"':
                    value, pos = _string(rest, pos)
                else:
                    end = rest.find(" ", pos)
                    end = len(rest) if end < 0 else end
                    value, pos = rest[pos:end], end
                node.attrs[key.group(0)] = value
            else:
                node.attrs[key.group(0)] = True
        nodes.append(node)
    return _link(nodes)


def _yaml_scalar(v):
    v = v.strip()
    if v.startswith('"'):
        return _string(v, 0)[0]
    if v.startswith("'") and v.endswith("'") and len(v) >= 2:
        return v[1:-1].replace("''", "'")
    return v


def _split_key(item):
    """`key: value` of one YAML sequence item (the key may be quoted)."""
    if item.startswith("'"):
        i = 1
        while i < len(item):
            if item[i] == "'":
                if item[i + 1:i + 2] == "'":
                    i += 2
                    continue
                break
            i += 1
        key, rest = item[1:i].replace("''", "'"), item[i + 1:]
    elif item.startswith('"'):
        key, end = _string(item, 0)
        rest = item[end:]
    else:
        # The key ends at the first ': ' (or a final ':') outside quotes and brackets.
        depth, quoted, i = 0, False, 0
        while i < len(item):
            c = item[i]
            if quoted:
                if c == "\\":
                    i += 1
                elif c == '"':
                    quoted = False
            elif c == '"':
                quoted = True
            elif c == "[":
                depth += 1
            elif c == "]":
                depth -= 1
            elif c == ":" and depth == 0 and (i + 1 == len(item) or item[i + 1] == " "):
                return item[:i], item[i + 1:]
            i += 1
        return item, None
    rest = rest.strip()
    if rest.startswith(":"):
        return key, rest[1:]
    return key, None


_PW_LINE = re.compile(r"^( *)- (.*)$")


def parse_playwright(content):
    """Playwright MCP's snapshot (the ```yaml block of its answer, or the whole text)."""
    block = re.search(r"```yaml\n(.*?)```", content, re.S)
    text = block.group(1) if block else content
    nodes = []
    for line in text.splitlines():
        m = _PW_LINE.match(line)
        if not m:
            continue
        depth = len(m.group(1)) // 2
        key, value = _split_key(m.group(2))
        value = _yaml_scalar(value) if value is not None else ""
        if key.startswith("/"):
            owner = next((n for n in reversed(nodes) if n.depth < depth), None)
            if owner is not None:
                owner.attrs[key[1:]] = value
            continue
        if key == "text":
            nodes.append(Node(depth, None, "text", text=value))
            continue
        role = _ROLE.match(key)
        if not role:
            continue
        node = Node(depth, None, role.group(0), text=value)
        pos = role.end()
        if key[pos:pos + 2] == ' "':
            node.name, pos = _string(key, pos + 1)
        for attr in re.finditer(r"\[([\w-]+)(?:=([^\]]*))?\]", key[pos:]):
            k, v = attr.group(1), attr.group(2)
            if k == "ref":
                node.ref = v
            else:
                node.attrs[k] = True if v is None else v
        nodes.append(node)
    return _link(nodes)


FIELD_ROLES = ("textbox", "searchbox", "date", "time", "datetime", "DateTime", "InputTime", "spinbutton")


class Snapshot:
    """A parsed snapshot and what solvers ask of it."""

    def __init__(self, text, nodes):
        self.text, self.nodes = text, nodes

    def instruction(self):
        """The task's sentence: the first text on the page (with the runs that continue it)."""
        for n in self.nodes:
            label = n.label()
            if not label:
                continue
            parts = [label]
            sibling = n
            while not re.search(r"[.!?][\"']?$", parts[-1]):
                siblings = sibling.parent.children if sibling.parent else [x for x in self.nodes if x.depth == n.depth]
                at = siblings.index(sibling) + 1 if sibling in siblings else len(siblings)
                if at >= len(siblings) or not siblings[at].label():
                    break
                sibling = siblings[at]
                parts.append(sibling.label())
            return re.sub(r"\s+([,.!?])", r"\1", " ".join(parts)).strip()
        return ""

    def find(self, label=None, roles=None, with_ref=True, pred=None, within=None):
        pool = list(within.descendants()) if within is not None else self.nodes
        out = []
        for n in pool:
            if roles and n.role not in roles:
                continue
            if label is not None and n.label() != label:
                continue
            if pred and not pred(n):
                continue
            if with_ref and not self.ref_of(n):
                continue
            out.append(n)
        return out

    @staticmethod
    def ref_of(n):
        """The node's ref, or its nearest ancestor's (a text run inside a clickable box)."""
        if n.ref:
            return n.ref
        if n.role == "text":
            return next((a.ref for a in n.ancestors() if a.ref), None)
        return None

    def fields(self):
        """Fields that take typed text (text, search, date and time inputs, text areas)."""
        return [n for n in self.nodes if n.ref and n.role in FIELD_ROLES]

    def buttons(self, label=None):
        return self.find(label=label, roles=("button",))

    def icons(self, within=None):
        """Clickable elements with no text of their own or below (icon buttons)."""
        pool = list(within.descendants()) if within is not None else self.nodes
        return [n for n in pool if n.ref and not n.all_text()
                and (n.clickable() or n.role in ("button", "link", "img", "image"))]
