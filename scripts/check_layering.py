#!/usr/bin/env python3
"""Fails when a crate has a file-level import cycle: module A names module B (`crate::b`,
`super::b`) and B, directly or through others, names A. Test modules are not counted.
Usage: scripts/check_layering.py (from the repository root)."""
import glob
import os
import re
import sys


def module_of(src_root, path):
    parts = os.path.relpath(path, src_root)[:-3].split(os.sep)
    if parts[-1] in ("lib", "main", "mod"):
        parts = parts[:-1]
    return tuple(parts)


def edges_of(src_root):
    files = glob.glob(os.path.join(src_root, "**", "*.rs"), recursive=True)
    modules = {module_of(src_root, f): f for f in files}
    edges = {}
    for module, path in modules.items():
        text = open(path, encoding="utf-8").read()
        text = re.sub(r"#\[cfg\(test\)\]\s*mod tests \{.*", "", text, flags=re.S)
        text = re.sub(r"//[^\n]*", "", text)
        deps = set()
        for reference in re.findall(r"\b((?:crate|super)(?:::[a-z_][a-z0-9_]*)+)", text):
            head, *rest = reference.split("::")
            base = () if head == "crate" else module[:-1]
            target, candidate = base, base
            for part in rest:
                candidate = candidate + (part,)
                if candidate in modules:
                    target = candidate
            if target != module and target in modules:
                deps.add(target)
        edges[module] = deps
    return edges


def cycles(edges):
    state, stack, found = {}, [], []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == "open":
                found.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = "done"

    for node in sorted(edges):
        if node not in state:
            visit(node)
    return found


def main():
    bad = 0
    for src_root in sorted(glob.glob("crates/*/src")):
        for cycle in cycles(edges_of(src_root)):
            bad += 1
            names = " -> ".join("::".join(m) or "lib" for m in cycle)
            print(f"import cycle in {os.path.dirname(src_root)}: {names}")
    if bad:
        sys.exit(1)
    print("no file-level import cycles")


main()
