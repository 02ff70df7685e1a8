#!/usr/bin/env python3
"""The module import graph of the Rust crates, from their `use` lines and `crate::` paths.

    python3 infra/import_graph.py            # every crate: modules, edges, cycles
    python3 infra/import_graph.py --edges    # and each edge
    python3 infra/import_graph.py --check    # exit 1 on any cycle (infra/test.sh runs this)

A module is a file under <crate>/src (`shared/src/adapters/dynamo/keys.rs` is
`adapters::dynamo::keys`; a `mod.rs` is its directory). An edge A -> B means A names
`crate::B...` (or `super::` resolving to B) outside a `#[cfg(test)]` module. Edges to a module's
own ancestors (`crate::domain` from `domain::access`, the re-exports) are left out, as are edges to
the crate root. A cycle is a strongly connected component of more than one module.
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CRATES = ["shared", "functions", "infra"]


def module_of(src: Path, file: Path) -> str:
    parts = list(file.relative_to(src).with_suffix("").parts)
    if parts[-1] in ("mod", "lib", "main"):
        parts = parts[:-1]
    return "::".join(parts)


def without_tests(text: str) -> str:
    """The text up to the first `#[cfg(test)]` (test modules sit at the end of a file)."""
    at = text.find("#[cfg(test)]")
    return text if at < 0 else text[:at]


def strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return "\n".join(line.split("//", 1)[0] for line in text.splitlines())


def resolve(modules: set[str], path: list[str]) -> str | None:
    """The longest module that `path` (after `crate::`) starts with."""
    for n in range(len(path), 0, -1):
        candidate = "::".join(path[:n])
        if candidate in modules:
            return candidate
    return None


def expand_use(tree: str) -> list[list[str]]:
    """`a::{b, c::{d, e}}` -> [[a, b], [a, c, d], [a, c, e]] (good enough for module paths)."""
    tree = tree.strip()
    m = re.match(r"^([\w:]*?)::\{(.*)\}$", tree, re.S)
    if not m:
        return [[p for p in tree.split("::") if p and p != "self"]]
    prefix = [p for p in m.group(1).split("::") if p]
    inner, depth, current, items = m.group(2), 0, "", []
    for ch in inner:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        if ch == "," and depth == 0:
            items.append(current)
            current = ""
        else:
            current += ch
    items.append(current)
    out = []
    for item in items:
        item = item.strip()
        if not item:
            continue
        for tail in expand_use(item):
            out.append(prefix + tail)
    return out


def graph(crate: str) -> tuple[set[str], set[tuple[str, str]]]:
    src = ROOT / crate / "src"
    files = [f for f in src.rglob("*.rs") if "bin" not in f.relative_to(src).parts]
    modules = {module_of(src, f) for f in files} - {""}
    edges = set()
    for f in files:
        me = module_of(src, f)
        if not me:
            continue
        text = strip_comments(without_tests(f.read_text()))
        paths = []
        for m in re.finditer(r"\buse\s+crate::([^;]+);", text):
            paths.extend(expand_use(m.group(1)))
        for m in re.finditer(r"(?<!use )\bcrate::((?:\w+::)*\w+)", text):
            paths.append(m.group(1).split("::"))
        parent = me.split("::")[:-1]
        for m in re.finditer(r"\buse\s+super::([^;]+);", text):
            for p in expand_use(m.group(1)):
                paths.append(parent + p)
        for path in paths:
            target = resolve(modules, path)
            if not target or target == me:
                continue
            # The module's own ancestors (`crate::domain` re-exports for `domain::x`) do not count.
            if me.startswith(target + "::"):
                continue
            edges.add((me, target))
    return modules, edges


def cycles(modules: set[str], edges: set[tuple[str, str]]) -> list[list[str]]:
    """Tarjan's strongly connected components of more than one module."""
    succ = {m: sorted(b for a, b in edges if a == m) for m in modules}
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in succ[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for m in sorted(modules):
        if m not in index:
            visit(m)
    return out


def main() -> int:
    show_edges = "--edges" in sys.argv
    total = 0
    for crate in CRATES:
        modules, edges = graph(crate)
        found = cycles(modules, edges)
        total += len(found)
        print(f"{crate}: {len(modules)} modules, {len(edges)} edges, {len(found)} cycles")
        for comp in found:
            print(f"  cycle: {' <-> '.join(comp)}")
        if show_edges:
            for a, b in sorted(edges):
                print(f"    {a} -> {b}")
    print(f"cycles in all: {total}")
    # --check (infra/test.sh): a cycle fails the run.
    return 1 if "--check" in sys.argv and total else 0


if __name__ == "__main__":
    sys.exit(main())
