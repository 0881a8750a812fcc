#!/usr/bin/env python3
"""The architecture test (docs/architecture.md, "Rules the build holds").

Three checks, each fails the run:
  1. crate arrows: the dependencies between workspace packages, read from
     `cargo metadata`, are exactly the allowed ones (a new package or a new
     arrow must be added to ALLOWED below, on purpose);
  2. module cycles: inside each crate, the top-level modules (src/X.rs or
     src/X/) reference each other (`crate::X`, `super::X`, root re-exports,
     exported macros) without a cycle;
  3. file length: no Rust file tracked by git is longer than MAX_LINES.

  check_architecture.py [--metadata FILE] [ROOT]   check the tree at ROOT (default: cwd)
  check_architecture.py --self-test                plant each violation in a scratch tree
                                                   and check that it is reported

Standard library only; runs in about a second after cargo metadata.
"""

import json
import os
import re
import subprocess
import sys
import tempfile

MAX_LINES = 600

# package -> {kind: allowed workspace dependencies}. Kinds are cargo's:
# "normal", "build", "dev". liboas reaches the digest core only through the
# SDK's re-export (`oas::digest`, `oas::ranges`), so the C boundary sees one
# crate; the emulator is a test fixture for the crates above it and never
# depends on them, not even for its own tests.
ALLOWED = {
    "oas-digest": {"normal": set(), "build": set(), "dev": set()},
    "oas": {"normal": {"oas-digest"}, "build": set(), "dev": {"oas-emulator"}},
    "liboas": {"normal": {"oas"}, "build": set(), "dev": {"oas-emulator"}},
    "oas-emulator": {"normal": {"oas-digest"}, "build": set(), "dev": {"oas"}},
}

# Crate roots whose top-level modules are checked for cycles (relative to ROOT).
CRATE_SRC = ["src", "crates/oas-digest/src", "crates/oas/src", "emulator/src"]

IDENT = r"[A-Za-z_][A-Za-z0-9_]*"


def crate_arrows(metadata):
    """Violations of ALLOWED in a `cargo metadata --no-deps` document."""
    errors = []
    members = {p["name"]: p for p in metadata["packages"]}
    for name, pkg in sorted(members.items()):
        if name not in ALLOWED:
            errors.append(f"crate arrows: package `{name}` is not in ALLOWED (scripts/check_architecture.py)")
            continue
        for dep in pkg["dependencies"]:
            if dep["name"] not in members:
                continue
            kind = dep.get("kind") or "normal"
            if dep["name"] not in ALLOWED[name][kind]:
                errors.append(
                    f"crate arrows: `{name}` has a {kind} dependency on `{dep['name']}`, "
                    f"allowed: {sorted(ALLOWED[name][kind]) or 'none'}"
                )
    return errors


def strip_comments(text):
    """Drops // comments (doc comments included) and /* */ blocks; strings stay."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return "\n".join(re.sub(r"//.*", "", line) for line in text.splitlines())


def top_modules(src):
    mods = set()
    for entry in os.listdir(src):
        path = os.path.join(src, entry)
        if entry.endswith(".rs") and entry not in ("lib.rs", "main.rs"):
            mods.add(entry[:-3])
        elif os.path.isdir(path) and os.path.exists(os.path.join(path, "mod.rs")):
            mods.add(entry)
    return mods


def root_exports(src, mods):
    """Names the crate root re-exports (`pub use m::{A, B}`) -> module m."""
    names = {}
    lib = os.path.join(src, "lib.rs")
    if not os.path.exists(lib):
        return names
    text = strip_comments(open(lib, encoding="utf-8").read())
    for m in re.finditer(rf"pub\s+use\s+({IDENT})::(\{{[^}}]*\}}|{IDENT})", text):
        mod, items = m.group(1), m.group(2)
        if mod not in mods:
            continue
        for item in re.findall(IDENT, items):
            names[item] = mod
    return names


def exported_macros(src, mods):
    """#[macro_export] macro names -> the top-level module defining them."""
    names = {}
    for mod, files in module_files(src, mods).items():
        for f in files:
            text = open(f, encoding="utf-8").read()
            for m in re.finditer(rf"#\[macro_export\]\s*macro_rules!\s*({IDENT})", text):
                names[m.group(1)] = mod
    return names


def module_files(src, mods):
    out = {}
    for mod in mods:
        single = os.path.join(src, mod + ".rs")
        if os.path.exists(single):
            out.setdefault(mod, []).append(single)
        folder = os.path.join(src, mod)
        if os.path.isdir(folder):
            for dirpath, _, files in os.walk(folder):
                out.setdefault(mod, []).extend(
                    os.path.join(dirpath, f) for f in sorted(files) if f.endswith(".rs")
                )
    return out


def path_refs(text):
    """Every `crate::…` and `super::…` path in the text as (super depth, first
    name); a group `crate::{a::b, c}` gives one entry per member."""
    refs = []
    for m in re.finditer(r"\b(?:(crate)::|((?:super::)+))\s*", text):
        depth = 0 if m.group(1) else m.group(2).count("super::")
        rest = text[m.end():]
        if rest.startswith("{"):
            level, end = 0, len(rest)
            for i, ch in enumerate(rest):
                level += {"{": 1, "}": -1}.get(ch, 0)
                if level == 0:
                    end = i
                    break
            members, level, cur = [], 0, ""
            for ch in rest[1:end]:
                level += {"{": 1, "}": -1}.get(ch, 0)
                if ch == "," and level == 0:
                    members.append(cur)
                    cur = ""
                else:
                    cur += ch
            members.append(cur)
            for member in members:
                name = re.match(rf"\s*({IDENT})", member)
                if name:
                    refs.append((depth, name.group(1)))
        else:
            name = re.match(IDENT, rest)
            if name:
                refs.append((depth, name.group(0)))
    return refs


def module_edges(src):
    mods = top_modules(src)
    names = dict(root_exports(src, mods))
    names.update(exported_macros(src, mods))
    for mod in mods:
        names[mod] = mod
    edges = {mod: set() for mod in mods}
    for mod, files in module_files(src, mods).items():
        for f in files:
            rel = os.path.relpath(f, src)
            parts = rel[:-3].split(os.sep)
            if parts[-1] == "mod":
                parts = parts[:-1]
            # parts: the file's module path; `super` climbs from there.
            text = strip_comments(open(f, encoding="utf-8").read())
            for depth, item in path_refs(text):
                if depth and depth != len(parts):
                    continue  # super:: that stays inside the module
                target = names.get(item)
                if target and target != mod:
                    edges[mod].add(target)
    return edges


def cycles(edges):
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(edges[v]):
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

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def module_cycles(root):
    errors = []
    for rel in CRATE_SRC:
        src = os.path.join(root, rel)
        if not os.path.isdir(src):
            continue
        edges = module_edges(src)
        for comp in cycles(edges):
            detail = "; ".join(f"{a} -> {', '.join(sorted(edges[a] & set(comp)))}" for a in comp)
            errors.append(f"module cycle in {rel}: {' <-> '.join(comp)} ({detail})")
    return errors


def rust_files(root):
    try:
        out = subprocess.run(
            ["git", "-C", root, "ls-files", "--cached", "--others", "--exclude-standard", "*.rs"],
            check=True, capture_output=True, text=True,
        ).stdout.split()
        return [f for f in out if os.path.exists(os.path.join(root, f))]
    except (OSError, subprocess.CalledProcessError):
        found = []
        for dirpath, dirs, files in os.walk(root):
            dirs[:] = [d for d in dirs if d not in ("target", ".git")]
            found.extend(os.path.relpath(os.path.join(dirpath, f), root) for f in files if f.endswith(".rs"))
        return found


def long_files(root):
    errors = []
    for f in sorted(rust_files(root)):
        with open(os.path.join(root, f), encoding="utf-8", errors="replace") as fh:
            n = sum(1 for _ in fh)
        if n > MAX_LINES:
            errors.append(f"file length: {f} has {n} lines (at most {MAX_LINES})")
    return errors


def check(root, metadata):
    return crate_arrows(metadata) + module_cycles(root) + long_files(root)


def cargo_metadata(root):
    out = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--no-deps", "--offline"],
        cwd=root, check=True, capture_output=True, text=True,
    ).stdout
    return json.loads(out)


def self_test():
    """Plants each kind of violation and checks the checker reports it."""
    good = {"packages": [
        {"name": "oas-digest", "dependencies": []},
        {"name": "oas", "dependencies": [{"name": "oas-digest", "kind": None}, {"name": "serde", "kind": None}]},
    ]}
    assert crate_arrows(good) == [], crate_arrows(good)
    upward = json.loads(json.dumps(good))
    upward["packages"][0]["dependencies"].append({"name": "oas", "kind": None})
    assert any("`oas-digest` has a normal dependency on `oas`" in e for e in crate_arrows(upward))
    stranger = {"packages": good["packages"] + [{"name": "oas-extra", "dependencies": []}]}
    assert any("oas-extra" in e for e in crate_arrows(stranger))

    with tempfile.TemporaryDirectory() as root:
        src = os.path.join(root, "crates/oas/src")
        os.makedirs(os.path.join(src, "jobs"))
        files = {
            "lib.rs": "pub mod vault; pub mod jobs; pub mod rest;\npub use rest::{Client, Error};\n",
            "rest.rs": "pub struct Client; pub struct Error;\n#[macro_export]\nmacro_rules! oas_log { () => {} }\n",
            "vault.rs": "use crate::jobs::Job;\nuse crate::Client;\n",
            "jobs/mod.rs": "mod reuse;\npub struct Job;\n#[cfg(test)]\nmod tests { use super::*; }\n",
            "jobs/reuse.rs": "use super::Job;\nuse crate::{oas_log, Error};\n// crate::vault::Vault in a comment does not count\n",
        }
        for name, text in files.items():
            with open(os.path.join(src, name), "w") as fh:
                fh.write(text)
        assert module_cycles(root) == [], module_cycles(root)
        edges = module_edges(src)
        assert edges == {"vault": {"jobs", "rest"}, "jobs": {"rest"}, "rest": set()}, edges
        # Planted cycle: jobs -> vault through a grouped super:: import.
        with open(os.path.join(src, "jobs/reuse.rs"), "a") as fh:
            fh.write("use super::super::{vault::Vault, rest};\n")
        found = module_cycles(root)
        assert len(found) == 1 and "jobs <-> vault" in found[0], found
        # Planted cycle through a root re-export.
        with open(os.path.join(src, "jobs/reuse.rs"), "w") as fh:
            fh.write("use super::Job;\nuse crate::{oas_log, Error};\n")
        with open(os.path.join(src, "rest.rs"), "a") as fh:
            fh.write("fn f(_: crate::jobs::Job) {}\n")
        found = module_cycles(root)
        assert len(found) == 1 and "jobs <-> rest" in found[0], found
        # Planted long file.
        with open(os.path.join(src, "vault.rs"), "a") as fh:
            fh.write("\n" * MAX_LINES)
        assert any("vault.rs has" in e for e in long_files(root)), long_files(root)
    print("check_architecture self-test: planted upward arrow, unknown crate, two cycles and a long file were all reported")


def main(argv):
    if argv[1:2] == ["--self-test"]:
        self_test()
        return 0
    args = argv[1:]
    metadata = None
    if args[:1] == ["--metadata"]:
        metadata = json.load(open(args[1]))
        args = args[2:]
    root = os.path.abspath(args[0] if args else ".")
    if metadata is None:
        metadata = cargo_metadata(root)
    errors = check(root, metadata)
    for e in errors:
        print(f"check-architecture: {e}", file=sys.stderr)
    if errors:
        return 1
    names = ", ".join(sorted(p["name"] for p in metadata["packages"]))
    print(f"check-architecture: crate arrows ok ({names}); no module cycles in {len(CRATE_SRC)} crates; "
          f"no Rust file over {MAX_LINES} lines")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
