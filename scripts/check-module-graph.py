#!/usr/bin/env python3
"""Checks that the module graph in the code is the one docs/architecture.md draws.

Every `#include "<module>/..."` in src/ and include/ is an edge from the module
that holds the file to the module that holds the header. The check fails when
an edge (or a module dependency a CMakeLists declares)

  - is not allowed by the "may use" column of the module table in
    docs/architecture.md,
  - is not declared in the including module's CMakeLists.txt
    (pushgw_module(... DEPS ... PRIVATE ...)), or is declared PRIVATE while a
    header of the module includes it (whoever links the module needs it too),
  - closes a cycle;

and when the table and the folders under src/ disagree about which modules
exist. The compiler enforces the "declared" part too (each module has its own
include root, cmake/modules.cmake); this script also covers the table and
headers no build compiles.

Usage: scripts/check-module-graph.py [--root DIR] [--edges]
Exit status 0 when the graph is clean, 1 when it is not.
"""
import argparse
import os
import re
import sys

API = "pushgw"  # include/pushgw: shared value types, usable by every module
INCLUDE_RE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
SOURCE_EXT = (".h", ".hpp", ".cc", ".cpp")


class Module:
    def __init__(self, name, cmake):
        self.name = name            # folder below src/, e.g. "provider/apns"
        self.cmake = cmake          # its CMakeLists.txt (relative to root)
        self.target = None          # pushgw_<x>
        self.public = set()         # declared targets seen by its users
        self.private = set()        # declared targets for its .cc files only


def strip_cmake_comments(text):
    return "\n".join(line.split("#", 1)[0] for line in text.splitlines())


def parse_cmake(root, mod):
    text = strip_cmake_comments(open(os.path.join(root, mod.cmake)).read())
    call = re.search(r"pushgw_module\s*\(([^)]*)\)", text)
    if not call:
        return f"{mod.cmake}: no pushgw_module(...) call"
    words = call.group(1).split()
    mod.target = "pushgw_" + words[0]
    section = None
    for w in words[1:]:
        if w in ("SOURCES", "DEPS", "PRIVATE"):
            section = w
        elif section == "DEPS":
            mod.public.add(w)
        elif section == "PRIVATE":
            mod.private.add(w)
    # Other targets of the folder (pushgwd in src/daemon) link what they name.
    rest = text[: call.start()] + text[call.end():]
    for m in re.finditer(r"target_link_libraries\s*\(\s*\S+([^)]*)\)", rest):
        mod.public.update(w for w in m.group(1).split() if w.startswith("pushgw_"))
    return None


def find_modules(root):
    mods = {}
    src = os.path.join(root, "src")
    for dirpath, _, files in os.walk(src):
        if "CMakeLists.txt" in files:
            name = os.path.relpath(dirpath, src).replace(os.sep, "/")
            mods[name] = Module(name, os.path.relpath(os.path.join(dirpath, "CMakeLists.txt"), root))
    return mods


def parse_table(root, problems):
    """{module: set(may use)} from the table whose header has "module" and "may use"."""
    path = os.path.join(root, "docs", "architecture.md")
    if not os.path.exists(path):
        problems.append("docs/architecture.md: missing (it holds the module table)")
        return {}
    table, cols = {}, None
    for lineno, line in enumerate(open(path), 1):
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.lstrip().startswith("|") else None
        if cells is None:
            cols = None
            continue
        lower = [c.lower() for c in cells]
        if "module" in lower and "may use" in lower:
            cols = (lower.index("module"), lower.index("may use"))
            continue
        if cols is None or set(line.strip()) <= set("|-: "):
            continue
        names = re.findall(r"`([^`]+)`", cells[cols[0]])
        if not names:
            continue
        name = names[0].rstrip("/")
        uses = {u.rstrip("/") for u in re.findall(r"`([^`]+)`", cells[cols[1]])}
        if "everything" in cells[cols[1]].lower():
            uses.add("*")
        table[name] = (uses, lineno)
    if not table:
        problems.append("docs/architecture.md: no table with columns \"module\" and \"may use\"")
    return table


def owner_of(rel, mods):
    """Module holding a file or header path relative to src/ (longest folder)."""
    best = None
    for name in mods:
        if rel.startswith(name + "/") and (best is None or len(name) > len(best)):
            best = name
    return best


def scan_edges(root, mods):
    """[(file, line, from, to, header_path, from_header)]"""
    edges = []
    for top in ("src", "include"):
        base = os.path.join(root, top)
        for dirpath, _, files in os.walk(base):
            for f in sorted(files):
                if not f.endswith(SOURCE_EXT):
                    continue
                path = os.path.join(dirpath, f)
                rel = os.path.relpath(path, base).replace(os.sep, "/")
                frm = owner_of(rel, mods) if top == "src" else API
                if frm is None:
                    continue
                for n, line in enumerate(open(path, errors="replace"), 1):
                    m = INCLUDE_RE.match(line)
                    if not m:
                        continue
                    inc = m.group(1)
                    to = API if inc.startswith(API + "/") else owner_of(inc, mods)
                    if to and to != frm:
                        edges.append((os.path.relpath(path, root), n, frm, to, inc, f.endswith((".h", ".hpp"))))
    return edges


def find_cycle(graph):
    state, stack = {}, []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in sorted(graph.get(n, ())):
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if m not in state:
                c = visit(m)
                if c:
                    return c
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if n not in state:
            c = visit(n)
            if c:
                return c
    return None


def check(root, print_edges=False):
    problems = []
    mods = find_modules(root)
    for mod in mods.values():
        err = parse_cmake(root, mod)
        if err:
            problems.append(err)
    by_target = {m.target: m.name for m in mods.values() if m.target}
    table = parse_table(root, problems)

    for name in sorted(set(mods) - set(table)):
        problems.append(f"docs/architecture.md: module table has no row for src/{name}/")
    for name in sorted(set(table) - set(mods) - {API}):
        problems.append(f"docs/architecture.md:{table[name][1]}: module `{name}` has no folder src/{name}/ with a CMakeLists.txt")
    for name, (uses, lineno) in sorted(table.items()):
        for u in sorted(uses - set(mods) - {API, "*"}):
            problems.append(f"docs/architecture.md:{lineno}: `{name}` may use unknown module `{u}`")

    def allowed(frm, to):
        if to == API:
            return True
        uses = table.get(frm, (set(), 0))[0]
        return "*" in uses or to in uses

    def may_use_text(frm):
        uses = table.get(frm, (set(), 0))[0]
        return "everything" if "*" in uses else (", ".join(sorted(uses)) or "nothing")

    graph = {}
    edges = scan_edges(root, mods)
    for path, line, frm, to, inc, from_header in edges:
        where = f"{path}:{line}: {frm} -> {to} (\"{inc}\")"
        if not allowed(frm, to):
            problems.append(f"{where}: not allowed by docs/architecture.md ({frm} may use: {may_use_text(frm)})")
        if frm == API or (frm == "base" and to == API):
            continue
        graph.setdefault(frm, set()).add(to)
        mod = mods[frm]
        tgt = mods[to].target if to != API else "pushgw_base"
        if tgt is None:
            continue  # its CMakeLists is already reported
        if tgt not in mod.public | mod.private:
            problems.append(f"{where}: {tgt} is not declared in {mod.cmake}")
        elif from_header and tgt not in mod.public:
            problems.append(f"{where}: a header includes it, so {tgt} belongs in DEPS, not PRIVATE, in {mod.cmake}")

    for mod in sorted(mods.values(), key=lambda m: m.name):
        for tgt in sorted(mod.public | mod.private):
            to = by_target.get(tgt)
            if to is None or to == mod.name:
                continue
            graph.setdefault(mod.name, set()).add(to)
            if not allowed(mod.name, to):
                problems.append(f"{mod.cmake}: {mod.name} -> {to} ({tgt}): not allowed by docs/architecture.md "
                                f"({mod.name} may use: {may_use_text(mod.name)})")

    cycle = find_cycle(graph)
    if cycle:
        problems.append("module cycle: " + " -> ".join(cycle))

    if print_edges:
        seen = {}
        for _, _, frm, to, _, _ in edges:
            if frm != API and to != API:
                seen.setdefault(frm, set()).add(to)
        for frm in sorted(seen):
            print(f"{frm} -> {', '.join(sorted(seen[frm]))}")
        print(f"{sum(len(v) for v in seen.values())} include edges between {len(mods)} modules")
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--root", default=os.path.dirname(here), help="project root (default: this script's ..)")
    ap.add_argument("--edges", action="store_true", help="also print the include edges between modules")
    args = ap.parse_args()
    problems = check(args.root, args.edges)
    for p in problems:
        print(p)
    if problems:
        print(f"module graph: {len(problems)} problem(s); see docs/architecture.md, \"Modules\"", file=sys.stderr)
        return 1
    print("module graph: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
