"""scripts/check-module-graph.py catches what it is for: each test plants one
bad edge in a copy of the tree and expects the check to fail naming it."""
import importlib.util
import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

SOURCE = pathlib.Path(os.environ.get("PUSHGW_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[2]))


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "tree"
    keep = shutil.ignore_patterns("*.o", "__pycache__")
    for d in ("src", "include", "scripts"):
        shutil.copytree(SOURCE / d, root / d, ignore=keep)
    (root / "docs").mkdir()
    shutil.copy(SOURCE / "docs" / "architecture.md", root / "docs")
    return root


def check(root):
    r = subprocess.run([sys.executable, str(root / "scripts" / "check-module-graph.py"), "--root", str(root)],
                       capture_output=True, text=True)
    return r.returncode, r.stdout + r.stderr


def plant(path, line):
    text = path.read_text()
    # after the last #include, so the file stays well-formed
    idx = [m.end() for m in re.finditer(r"^#include .*$", text, re.M)][-1]
    path.write_text(text[:idx] + "\n" + line + text[idx:])


def test_the_real_tree_is_clean(tree):
    rc, out = check(tree)
    assert rc == 0, out
    assert "module graph: ok" in out


def test_base_including_daemon_fails(tree):
    plant(tree / "src/base/base64url.cc", '#include "daemon/gateway.h"')
    rc, out = check(tree)
    assert rc == 1
    assert re.search(r"src/base/base64url\.cc:\d+: base -> daemon \(\"daemon/gateway\.h\"\): not allowed", out), out
    assert re.search(r"base -> daemon .*pushgw_daemon is not declared in src/base/CMakeLists\.txt", out), out


def test_allowed_but_undeclared_edge_fails(tree):
    # store may use queue (table) but its CMakeLists does not link pushgw_queue.
    cmake = (tree / "src/store/CMakeLists.txt").read_text()
    assert "pushgw_queue" not in cmake
    plant(tree / "src/store/store.cc", '#include "queue/spsc_ring.h"')
    rc, out = check(tree)
    assert rc == 1
    assert re.search(r"store -> queue .*pushgw_queue is not declared in src/store/CMakeLists\.txt", out), out
    assert "not allowed" not in out


def private_dep_pair(root):
    """(module, header of it, include of a PRIVATE module dep) found in the tree."""
    spec = importlib.util.spec_from_file_location("graph", root / "scripts" / "check-module-graph.py")
    graph = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(graph)
    mods = graph.find_modules(str(root))
    for m in mods.values():
        graph.parse_cmake(str(root), m)
    by_target = {m.target: m.name for m in mods.values()}
    for m in sorted(mods.values(), key=lambda m: m.name):
        headers = sorted((root / "src" / m.name).glob("*.h"))
        for tgt in sorted(m.private - m.public):
            dep = by_target.get(tgt)
            dep_headers = sorted((root / "src" / dep).glob("*.h")) if dep else []
            if headers and dep_headers:
                return m.name, headers[0], f"{dep}/{dep_headers[0].name}"
    raise AssertionError("no module with a PRIVATE module dependency")


def test_header_using_a_private_dep_fails(tree):
    # A PRIVATE dep is for .cc files only: whoever links the module does not
    # get its headers, so one of the module's own headers may not include it.
    mod, header, inc = private_dep_pair(tree)
    plant(header, f'#include "{inc}"')
    rc, out = check(tree)
    assert rc == 1
    rel = header.relative_to(tree).as_posix()
    assert re.search(re.escape(rel) + r":\d+: " + re.escape(mod) + r" -> .*belongs in DEPS, not PRIVATE", out), out


def test_module_missing_from_the_table_fails(tree):
    (tree / "src/newmod").mkdir()
    (tree / "src/newmod/CMakeLists.txt").write_text("pushgw_module(newmod SOURCES a.cc DEPS pushgw_base)\n")
    rc, out = check(tree)
    assert rc == 1
    assert "module table has no row for src/newmod/" in out, out


def test_cmake_link_the_table_forbids_fails(tree):
    p = tree / "src/obs/CMakeLists.txt"
    p.write_text(p.read_text().replace("DEPS pushgw_base", "DEPS pushgw_base pushgw_store"))
    rc, out = check(tree)
    assert rc == 1
    assert re.search(r"src/obs/CMakeLists\.txt: obs -> store \(pushgw_store\): not allowed", out), out


def test_cycle_fails(tree):
    doc = tree / "docs/architecture.md"
    doc.write_text(re.sub(r"(\| `obs` \|[^\n]*\| `base`)", r"\1, `config`", doc.read_text()))
    doc.write_text(re.sub(r"(\| `config` \|[^\n]*\| `base`)", r"\1, `obs`", doc.read_text()))
    for mod, other in (("obs", "config"), ("config", "obs")):
        p = tree / f"src/{mod}/CMakeLists.txt"
        p.write_text(p.read_text().replace("DEPS pushgw_base", f"DEPS pushgw_base pushgw_{other}"))
    rc, out = check(tree)
    assert rc == 1
    assert re.search(r"module cycle: (config -> obs -> config|obs -> config -> obs)", out), out
