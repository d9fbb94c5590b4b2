#!/usr/bin/env python3
"""Convert `// %%`-separated TypeScript sources into outputs-free tslab notebooks.

Usage:
  python3 tools/ts-to-ipynb.py notebooks/src/*.ts            # writes notebooks/<name>.ipynb
  python3 tools/ts-to-ipynb.py --check notebooks/src/*.ts    # exit 1 if a notebook is missing/stale
  python3 tools/ts-to-ipynb.py -o DIR FILE.ts ...            # other output directory

Source format (the "percent" format of jupytext/VS Code, TypeScript flavour):
  // %% [markdown]
  // # Title            <- markdown cell; each line's leading `// ` is removed
  // %%                 <- code cell
  const x = 1;
  // %% tags=["parameters"]
  const STEPS = 100;    <- code cell with tags (the runner injects -p values after it)
Text before the first marker that is only comments/blank lines is dropped (file header).
Standard library only, so any python3 runs it; output is deterministic (stable cell ids, no outputs).
"""
import argparse
import hashlib
import json
import os
import re
import sys

MARKER = re.compile(r"^//\s*%%(.*)$")


def parse_marker(rest, path, lineno):
    rest = rest.strip()
    kind = "code"
    m = re.match(r"^\[(\w+)\]\s*(.*)$", rest)
    if m:
        kind, rest = m.group(1), m.group(2)
        if kind not in ("markdown", "md", "raw"):
            raise SystemExit("%s:%d: unknown cell type [%s] (expected [markdown])" % (path, lineno, kind))
        kind = "markdown" if kind in ("markdown", "md") else "raw"
    tags = []
    m = re.search(r"tags=(\[.*?\])", rest)
    if m:
        try:
            tags = json.loads(m.group(1))
        except ValueError:
            raise SystemExit("%s:%d: tags must be a JSON list, got %s" % (path, lineno, m.group(1)))
    return kind, tags


def trim(lines):
    while lines and not lines[0].strip():
        lines = lines[1:]
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return lines


def convert(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    cells = []
    kind, tags, buf, seen_marker = None, [], [], False

    def flush():
        lines = trim(buf)
        if kind is None:
            if any(l.strip() and not l.lstrip().startswith("//") for l in lines):
                raise SystemExit("%s: code before the first `// %%%%` marker" % path)
            return
        if kind == "markdown":
            lines = [re.sub(r"^//( |$)", "", l) for l in lines]
        if not lines and kind != "code":
            return
        cell = {"cell_type": kind, "metadata": {}, "source": "\n".join(lines)}
        if tags:
            cell["metadata"]["tags"] = tags
        if kind == "code":
            cell["execution_count"] = None
            cell["outputs"] = []
        cells.append(cell)

    for lineno, line in enumerate(text.splitlines(), 1):
        m = MARKER.match(line)
        if m:
            flush()
            kind, tags = parse_marker(m.group(1), path, lineno)
            buf, seen_marker = [], True
        else:
            buf.append(line)
    flush()
    if not seen_marker:
        raise SystemExit("%s: no `// %%%%` cell markers" % path)
    name = os.path.splitext(os.path.basename(path))[0]
    for i, c in enumerate(cells):
        c["id"] = hashlib.sha1(("%s/%d" % (name, i)).encode()).hexdigest()[:12]
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "TypeScript (semantic-srn)", "language": "typescript", "name": "tslab"},
            "language_info": {"file_extension": ".ts", "mimetype": "text/typescript", "name": "typescript"},
            "semantic_srn": {"source": "notebooks/src/%s.ts" % name, "generated_by": "tools/ts-to-ipynb.py"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def dump(nb):
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("sources", nargs="+")
    ap.add_argument("-o", "--out-dir", help="default: the parent of each source's directory (notebooks/)")
    ap.add_argument("--check", action="store_true", help="only verify that the notebooks are up to date")
    a = ap.parse_args()
    stale = 0
    for src in a.sources:
        out_dir = a.out_dir or os.path.dirname(os.path.dirname(os.path.abspath(src)))
        dest = os.path.join(out_dir, os.path.splitext(os.path.basename(src))[0] + ".ipynb")
        new = dump(convert(src))
        old = open(dest, encoding="utf-8").read() if os.path.exists(dest) else None
        if a.check:
            if old != new:
                print("stale: %s (run: python3 tools/ts-to-ipynb.py %s)" % (os.path.relpath(dest), src), file=sys.stderr)
                stale += 1
        elif old != new:
            with open(dest, "w", encoding="utf-8") as f:
                f.write(new)
            print("wrote %s" % os.path.relpath(dest))
    sys.exit(1 if stale else 0)


if __name__ == "__main__":
    main()
