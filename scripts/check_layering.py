#!/usr/bin/env python3
"""Fails when a crate has a file-level import cycle: module A names module B (`crate::b`,
`super::b`) and B, directly or through others, names A; or when one of the hub's folders
names a folder above it in FOLDER_ORDER (each may use only the ones before it, and the
shared `error`). Test modules are not counted.
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


# The hub's folders, bottom to top (docs/ARCHITECTURE.md, "The hub's folders").
FOLDER_ORDER = {"crates/hub/src": ["access", "relay", "leases", "sessions", "state", "commands", "rpc", "daemon"]}


def folder_violations(src_root, edges):
    order = FOLDER_ORDER.get(src_root)
    if not order:
        return []
    rank = {name: i for i, name in enumerate(order)}
    found = []
    for module, deps in sorted(edges.items()):
        if not module or module[0] not in rank or module[-1].endswith("tests"):
            continue
        for dep in sorted(deps):
            if dep and dep[0] in rank and rank[dep[0]] > rank[module[0]]:
                found.append((module, dep))
    return found


def main():
    bad = 0
    for src_root in ["crates/hub/src"]:
        for module, dep in folder_violations(src_root, edges_of(src_root)):
            bad += 1
            print(f"layering in {src_root}: {'::'.join(module)} uses {'::'.join(dep)}, a folder above it")
    for src_root in sorted(glob.glob("crates/*/src")):
        for cycle in cycles(edges_of(src_root)):
            bad += 1
            names = " -> ".join("::".join(m) or "lib" for m in cycle)
            print(f"import cycle in {os.path.dirname(src_root)}: {names}")
    if bad:
        sys.exit(1)
    print("no file-level import cycles; the hub's folders depend downwards only")


main()
