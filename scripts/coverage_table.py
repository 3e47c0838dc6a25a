#!/usr/bin/env python3
"""Writes docs/TESTING.md: how the tests run, and the table of which end-to-end test calls
which contract command in which session mode, generated from the contract
(crates/api/src/commands/) and the end-to-end tests (tests/*.rs).

    scripts/coverage_table.py           # (re)write docs/TESTING.md
    scripts/coverage_table.py --check   # exit 1 if it is stale or a cell the mode supports is empty

How a test is attributed (a heuristic, static, written down in the generated file too):

* The tests are the `#[test]` / `#[tokio::test]` functions of the files with a `[[test]]`
  entry in tests/Cargo.toml.
* What a test runs is its own body plus every function it calls, transitively: functions
  of its file and of tests/support/*.rs, resolved by name (`Type::f(`, `.f(` any method
  named f, bare `f(` the file's own function, else a support one), plus the Python scripts
  it names (`"agent_flow.py"`, with the sibling modules they import).
* A command is called when that code holds its wire name as a string literal
  (`"nav.wait"`), its MCP tool name (`"browser_wait_for"`, Rust or Python), or its CLI
  name as the first word of an argument list (`&["wait", ...]`).
* The modes of a test are read from the same code: extension = `World::start`,
  `in_users_chrome`, `"mode": "extension"`, `--mode extension`, or a test named
  `..._users_chrome`; managed = `in_managed_chromium`, `"mode": "managed"`,
  `--mode managed`, or a name with `managed`; connected = it calls `session.connect`.
  A test with several modes counts for each (listed below the table, as an
  over-approximation); a test with none counts for no mode (listed too).
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "TESTING.md"
MODES = ["extension", "managed", "connected"]
SHOWN = 2  # test names shown per cell (the rest are counted)


# ---------------------------------------------------------------- the contract


def contract():
    """[(name, scope, cli, tool)] in the order of `for_each_command!`."""
    cmd_dir = ROOT / "crates/api/src/commands"
    listing = (cmd_dir / "mod.rs").read_text()
    order = re.findall(r"^\s*(hub|session)\s+\$crate::commands::(\w+)\s*=>\s*\w+;", listing, re.M)
    defs = {}
    for path in sorted(cmd_dir.glob("*.rs")):
        text = path.read_text()
        starts = [m for m in re.finditer(r"\b\w+!\((\w+):\s*\"([^\"]+)\",\s*cli\s+\"([^\"]+)\"", text)]
        for i, m in enumerate(starts):
            end = starts[i + 1].start() if i + 1 < len(starts) else len(text)
            tool = re.search(r"tool\(\"(browser_\w+)\"", text[m.end() : end])
            defs[m.group(1)] = (m.group(2), m.group(3), tool.group(1) if tool else None)
    out = []
    for scope, ty in order:
        if ty not in defs:
            sys.exit(f"coverage_table: no command!(...) definition found for {ty}")
        name, cli, tool = defs[ty]
        out.append((name, scope, cli, tool))
    if not out:
        sys.exit("coverage_table: found no command in for_each_command!")
    return out


def modes_of(name, scope):
    """The session modes a command runs in (docs/CLI.md, "Which commands work where"):
    every session command in all three; `session.launch` opens extension and managed
    sessions, `session.connect` connected ones; the other hub commands have no mode."""
    if name == "session.launch":
        return ["extension", "managed"]
    if name == "session.connect":
        return ["connected"]
    return MODES if scope == "session" else []


# ---------------------------------------------------------------- Rust source, roughly


def scan(text):
    """`text` with comments blanked and string contents blanked (same length), and the
    string literals as [(start, end, value)]."""
    code = list(text)
    strings = []
    i, n = 0, len(text)

    def blank(a, b):
        for k in range(a, b):
            if code[k] != "\n":
                code[k] = " "

    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            blank(i, j)
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            blank(i, j)
            i = j
        elif c == "r" and re.match(r'r#*"', text[i:]) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            hashes = re.match(r'r(#*)"', text[i:]).group(1)
            start = i + 2 + len(hashes)
            j = text.find('"' + hashes, start)
            j = n if j < 0 else j
            strings.append((i, j + 1 + len(hashes), text[start:j]))
            blank(start, j)
            i = j + 1 + len(hashes)
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            strings.append((i, j + 1, text[i + 1 : j]))
            blank(i + 1, j)
            i = j + 1
        elif c == "'":
            if i + 1 < n and text[i + 1] == "\\":
                j = text.find("'", i + 2)
                blank(i + 1, j)
                i = j + 1
            elif i + 2 < n and text[i + 2] == "'":
                blank(i + 1, i + 2)
                i += 3
            else:
                i += 1  # a lifetime
        else:
            i += 1
    return "".join(code), strings


def matching(code, open_at):
    depth = 0
    for k in range(open_at, len(code)):
        if code[k] == "{":
            depth += 1
        elif code[k] == "}":
            depth -= 1
            if depth == 0:
                return k + 1
    return len(code)


class Fn:
    def __init__(self, file, owner, name, start, end, is_test):
        self.file, self.owner, self.name = file, owner, name
        self.start, self.end, self.is_test = start, end, is_test

    @property
    def label(self):
        return f"{self.file.stem}::{self.name}"


class Source:
    def __init__(self, path):
        self.path = path
        self.text = path.read_text()
        self.code, self.strings = scan(self.text)
        impls = []
        for m in re.finditer(r"\bimpl\b(?:<[^>{]*>)?\s+(?:[\w:<>',\s]+?\s+for\s+)?([A-Za-z_]\w*)[^{;]*\{", self.code):
            impls.append((m.end() - 1, matching(self.code, m.end() - 1), m.group(1)))
        self.fns = []
        for m in re.finditer(r"\bfn\s+(\w+)", self.code):
            body = self.code.find("{", m.end())
            semi = self.code.find(";", m.end())
            if body < 0 or (0 <= semi < body):
                continue  # a declaration without a body
            owner = next((t for a, b, t in impls if a < m.start() < b), None)
            attrs = self.code[max(0, m.start() - 200) : m.start()]
            is_test = bool(
                re.search(r"#\[(?:tokio::)?test(?:\([^)]*\))?\]\s*(?:#\[[^\]]*\]\s*)*(?:pub\s+)?(?:async\s+)?$", attrs)
            )
            self.fns.append(Fn(path, owner, m.group(1), m.start(), matching(self.code, body), is_test))

    def literals(self, fn):
        return [(a, b, v) for a, b, v in self.strings if fn.start <= a < fn.end]


KEYWORDS = {"if", "while", "for", "match", "return", "fn", "loop", "in", "as", "move", "Some", "Ok", "Err", "Box"}


def calls(src, fn):
    """(kind, qualifier, name) of each call in fn's body."""
    body = src.code[fn.start : fn.end]
    out = set()
    for m in re.finditer(r"(\w+)::(\w+)\s*(?:::<[^>]*>)?\s*\(", body):
        out.add(("path", m.group(1), m.group(2)))
    for m in re.finditer(r"(\bself)?\.(\w+)\s*(?:::<[^>]*>)?\s*\(", body):
        out.add(("method", m.group(1), m.group(2)))
    for m in re.finditer(r"(?<![\w.:])(\w+)\s*\(", body):
        if m.group(1) not in KEYWORDS:
            out.add(("bare", None, m.group(1)))
    return out


# ---------------------------------------------------------------- the tests


def test_files():
    manifest = (ROOT / "tests/Cargo.toml").read_text()
    paths = re.findall(r"\[\[test\]\]\s*\nname\s*=\s*\"[^\"]+\"\s*\npath\s*=\s*\"([^\"]+)\"", manifest)
    return [ROOT / "tests" / p for p in paths]


def python_closure(names):
    """The Python scripts named, with the sibling modules they import: their text."""
    seen, todo, texts = set(), list(names), []
    while todo:
        name = todo.pop()
        for path in list((ROOT / "tests").glob(f"*/{name}")):
            if path in seen or "node_modules" in path.parts:
                continue
            seen.add(path)
            text = path.read_text()
            texts.append(text)
            for mod in re.findall(r"^\s*(?:from\s+(\w+)\s+import|import\s+(\w+))", text, re.M):
                mod = mod[0] or mod[1]
                if (path.parent / f"{mod}.py").exists():
                    todo.append(f"{mod}.py")
    return texts


def attribute(commands):
    """{test label: (modes, {command names})}, plus the test functions in order."""
    by_wire = {name for name, _, _, _ in commands}
    by_tool = {tool: name for name, _, _, tool in commands if tool}
    by_cli = {cli: name for name, _, cli, _ in commands}
    support = [Source(p) for p in sorted((ROOT / "tests/support").glob("*.rs"))]
    stems = {s.path.stem for s in support}
    result = {}
    for path in test_files():
        src = Source(path)
        fns_of = {}
        for s in [src] + support:
            for f in s.fns:
                fns_of.setdefault(f.name, []).append((s, f))

        def resolve(kind, qual, name, here):
            found = fns_of.get(name, [])
            if kind == "path":
                if qual == "Self":
                    qual = here.owner
                if qual in stems:
                    return [(s, f) for s, f in found if s.path.stem == qual and f.owner is None]
                return [(s, f) for s, f in found if f.owner == qual]
            if kind == "method":
                methods = [(s, f) for s, f in found if f.owner is not None]
                if qual == "self":
                    return [(s, f) for s, f in methods if f.owner == here.owner]
                mine = [(s, f) for s, f in methods if s.path == here.file]
                return mine or methods
            own = [(s, f) for s, f in found if s is src and f.owner is None]
            return own or [(s, f) for s, f in found if s is not src and f.owner is None]

        for test in [f for f in src.fns if f.is_test]:
            seen, todo = set(), [(src, test)]
            while todo:
                s, f = todo.pop()
                if (s.path, f.start) in seen:
                    continue
                seen.add((s.path, f.start))
                for kind, qual, name in calls(s, f):
                    todo.extend(resolve(kind, qual, name, f))
            called, text, scripts = set(), [], []
            for s in [src] + support:
                for f in s.fns:
                    if (s.path, f.start) not in seen:
                        continue
                    text.append(s.text[f.start : f.end])
                    code = s.code
                    for a, _, value in s.literals(f):
                        if value in by_wire:
                            called.add(value)
                        elif value in by_tool:
                            called.add(by_tool[value])
                        elif value in by_cli and re.search(r"&\[\s*$", code[max(f.start, a - 40) : a]):
                            called.add(by_cli[value])
                        elif re.fullmatch(r"[\w./-]+\.py", value):
                            scripts.append(Path(value).name)
            # Connected mode only from the test's Rust code: the Python agents can run in
            # several modes, and the test picks one (`--mode managed`).
            connects = "session.connect" in called
            for script in python_closure(scripts):
                for tool in re.findall(r"[\"'](browser_\w+)[\"']", script):
                    if tool in by_tool:
                        called.add(by_tool[tool])
            body = "\n".join(text)
            modes = set()
            if re.search(r"World::start|in_users_chrome|\"mode\"\s*:\s*\"extension\"|\"--mode\"[^\"\n]{0,30}\"extension\"", body) or "users_chrome" in test.name:
                modes.add("extension")
            if re.search(r"in_managed_chromium|\"mode\"\s*:\s*\"managed\"|\"--mode\"[^\"\n]{0,30}\"managed\"", body) or "managed" in test.name:
                modes.add("managed")
            if connects or re.search(r"\"--mode\"[^\"\n]{0,30}\"connect\"", body):
                modes.add("connected")
            result[test.label] = ([m for m in MODES if m in modes], called)
    return result


# ---------------------------------------------------------------- the document

INTRO = """# Testing

<!-- Generated by scripts/coverage_table.py from the contract and tests/*.rs: do not edit;
     run `scripts/coverage_table.py` to rewrite it, `--check` to see that it is current. -->

## Running the tests

`scripts/test.sh` installs what it needs (`scripts/setup.sh`) and runs everything: fmt,
clippy, the type-check for macOS and Windows, the layering check, the native tests, the
wasm tests in headless Chromium, the end-to-end tests, the mutation check and a short fuzz
run. Parts of it:

```bash
cargo test --workspace --exclude system-tests            # native unit and integration tests
EXTENSION_PROFILE=release scripts/build-extension.sh     # the extension the end-to-end tests load
cargo build -p hub -p cli                                # the hub and CLI they start
cargo test -p system-tests -- --test-threads=1           # end-to-end (tests/*.rs)
cargo test -p system-tests --test wait_e2e               # one end-to-end file
scripts/mutation_check.sh                                # the mutation check (below)
scripts/coverage_table.py --check                        # is this file current, is any cell empty
```

The end-to-end tests (`tests/*.rs`, crate `system-tests`; each file needs a `[[test]]`
entry in `tests/Cargo.toml`) start the real hub binary (`OPENDEVBROWSER_HUB_BIN`, default
`target/debug/opendevbrowser-hub`), headless Chromium with the real unpacked extension,
and a test site on 127.0.0.1. Test processes take a machine-wide lock, so two test binaries
never drive browsers at once.

## The oracle rule

A test checks what a command did through an independent oracle
(`tests/support/oracle.rs`): a DevTools connection of the test's own to the same browser,
with no code of the product in between. It never checks an action through the product's
own reads (`nav.wait`, `dom.*`, `page.evaluate`): a command that says it worked is believed
only when the page agrees.

## The mutation check

`scripts/mutation_check.sh` builds the hub with one deliberate bug at a time (cargo
features of the `browser` crate that exist only for this check, each one early return:
`mutant-wait-always-succeeds` makes `nav.wait` answer success at once,
`mutant-select-does-nothing` makes `interact.select` leave the page alone and answer as if
it had chosen) into `target/mutants`, runs a few end-to-end tests against each, and fails
if a mutant survives, i.e. if no test fails. It prints which tests killed which mutant.

## Which test calls which command in which mode

Generated from the contract (`for_each_command!`, the `command!` lines) and the tests.
A cell lists the tests calling the command in that mode (the most focused first: the tests
calling the fewest commands), with how many there are; `—` is a mode the command does not
run in; **none** is a mode it runs in that no end-to-end test covers.

How a test is attributed (static, by name; an approximation):

- what a test runs is its own body and every function it calls, transitively, in its
  file and in `tests/support/` (resolved by name), plus the Python scripts it names
  (with the modules they import);
- it calls a command when that code holds the command's wire name as a string
  (`"nav.wait"`), its MCP tool name (`"browser_wait_for"`), or its CLI name as the first
  word of an argument list (`&["wait", …]`);
- its mode: extension = `World::start`, `Driver::in_users_chrome`, `"mode": "extension"`,
  `--mode extension`, or a test named `…users_chrome…`; managed =
  `Driver::in_managed_chromium`, `"mode": "managed"`, `--mode managed`, or a name with
  `managed`; connected = it calls `session.connect`. A test with several modes counts for
  each of them (listed after the tables); one with none counts for no mode.
"""


def cell(tests, calls_per_test):
    if not tests:
        return "**none**"
    ordered = sorted(tests, key=lambda t: (calls_per_test[t], t))
    shown = ", ".join(f"`{t}`" for t in ordered[:SHOWN])
    more = len(ordered) - SHOWN
    return f"{len(ordered)}: {shown}" + (f", +{more}" if more > 0 else "")


def render():
    commands = contract()
    tests = attribute(commands)
    calls_per_test = {t: len(c) for t, (_, c) in tests.items()}
    empty = []
    lines = [INTRO]
    lines.append("### Session commands (and the two that open sessions)\n")
    lines.append("| command | " + " | ".join(MODES) + " |")
    lines.append("|---|" + "---|" * len(MODES))
    hub_rows = []
    for name, scope, _, _ in commands:
        supported = modes_of(name, scope)
        callers = sorted(t for t, (_, called) in tests.items() if name in called)
        if not supported:
            hub_rows.append(f"| `{name}` | {cell(callers, calls_per_test)} |")
            if not callers:
                empty.append((name, "any"))
            continue
        row = []
        for mode in MODES:
            if mode not in supported:
                row.append("—")
                continue
            in_mode = [t for t in callers if mode in tests[t][0]]
            if not in_mode:
                empty.append((name, mode))
            row.append(cell(in_mode, calls_per_test))
        lines.append(f"| `{name}` | " + " | ".join(row) + " |")
    lines.append("\n### Hub and relay commands (no session, so no mode)\n")
    lines.append("| command | tests |")
    lines.append("|---|---|")
    lines.extend(hub_rows)
    counts = {m: sum(1 for modes, _ in tests.values() if m in modes) for m in MODES}
    lines.append("\n### Totals\n")
    lines.append(
        f"{len(tests)} end-to-end tests: "
        + ", ".join(f"{counts[m]} in {m} mode" for m in MODES)
        + f". Empty cells a mode supports: **{len(empty)}**"
        + (":" if empty else ".")
    )
    if empty:
        by_mode = {}
        for name, mode in empty:
            by_mode.setdefault(mode, []).append(name)
        lines.append("")
        for mode, names in by_mode.items():
            lines.append(f"- {mode} ({len(names)}): " + ", ".join(f"`{n}`" for n in names))
    several = sorted(t for t, (modes, _) in tests.items() if len(modes) > 1)
    none = sorted(t for t, (modes, called) in tests.items() if not modes)
    lines.append("\nTests counted in more than one mode: " + (", ".join(f"`{t} ({'+'.join(tests[t][0])})`" for t in several) or "none") + ".")
    lines.append("\nTests in no mode (hub, relay or harness tests): " + (", ".join(f"`{t}`" for t in none) or "none") + ".")
    return "\n".join(lines) + "\n", empty


def main():
    check = "--check" in sys.argv[1:]
    text, empty = render()
    if not check:
        OUT.write_text(text)
        print(f"wrote {OUT.relative_to(ROOT)}: {len(empty)} empty cells a mode supports")
        for name, mode in empty:
            print(f"  empty: {name} × {mode}")
        return 0
    failed = False
    if not OUT.exists() or OUT.read_text() != text:
        print(f"{OUT.relative_to(ROOT)} is stale: run scripts/coverage_table.py", file=sys.stderr)
        failed = True
    if empty:
        print(f"{len(empty)} cells a mode supports have no end-to-end test:", file=sys.stderr)
        for name, mode in empty:
            print(f"  {name} × {mode}", file=sys.stderr)
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
