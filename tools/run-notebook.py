#!/usr/bin/python3
"""Execute a tslab (TypeScript) notebook headless and fail loudly.

Usage:
  /usr/bin/python3 tools/run-notebook.py notebooks/X.ipynb [-o out/X.ipynb] [-p KEY=VALUE ...]
                                         [--timeout SECONDS] [--strict]

* Runs on Debian's python3-nbclient (call it with /usr/bin/python3, not a pyenv/venv python that lacks it).
  The kernel is the project's `tslab` kernelspec: set JUPYTER_PATH=$PWD/jupyter and put node_modules/.bin
  on PATH (scripts/nb-test.sh does both).
* The kernel's cwd is the notebook's directory (so `./lib` resolves through the notebooks/lib symlink to the
  prebuilt library, .cache/lib-dist; scripts/nb-test.sh and the kernel build it: npm run build:lib).
* -p KEY=VALUE adds a cell right after the cell tagged `parameters`, which must declare KEY: for
  `let KEY…` it assigns `KEY = VALUE;` (type-checked against the declared type), for `const KEY…` it
  re-declares `const KEY = (VALUE as number|string|boolean);` (tslab allows that; the cast avoids a
  literal type). VALUE is a JSON literal if it parses, else a string: -p STEPS=10 -p NAME=chair.
* --strict also fails on asynchronous errors that tslab only prints to stderr (a throw in a timer, an
  un-awaited rejection); a final cell waits briefly so late ones are caught too.
* The executed notebook is written to -o even when a cell fails (partial outputs, numbered cells).
* On failure it prints the failing cell (index, source), its stdout/stderr and the error, and exits 1.
"""
import argparse
import json
import os
import re
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

ASYNC_ERROR = re.compile(r"UncaughtException|UnhandledPromiseRejection|Unhandled promise rejection")
FLUSH_TAG = "runner-async-flush"


def literal(value):
    try:
        return json.dumps(json.loads(value))
    except ValueError:
        return json.dumps(value)


def widened(value_json):
    """A literal whose TypeScript type is number/string/boolean, not the literal type (`2`, `"a"`)."""
    v = json.loads(value_json)
    if isinstance(v, bool):
        return "(%s as boolean)" % value_json
    if isinstance(v, (int, float)):
        return "(%s as number)" % value_json
    if isinstance(v, str):
        return "(%s as string)" % value_json
    return value_json  # object/array literals are widened by TypeScript already


def parameter_cell(nb, params):
    idx = next((i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])), None)
    if idx is None:
        sys.exit("run-notebook: -p given but no cell is tagged 'parameters'")
    declared = {}
    for kind, name in re.findall(r"^\s*(let|const|var)\s+([A-Za-z_$][\w$]*)", nb.cells[idx].source, re.M):
        declared.setdefault(name, kind)
    lines = []
    for p in params:
        if "=" not in p:
            sys.exit("run-notebook: -p expects KEY=VALUE, got %r" % p)
        key, value = p.split("=", 1)
        if key not in declared:
            sys.exit("run-notebook: -p %s: the parameters cell declares no %s (it declares: %s)"
                     % (key, key, ", ".join(declared) or "nothing"))
        if declared[key] == "const":
            # tslab allows re-declaring a const in a later cell; widen so `N === 1` still type-checks.
            lines.append("const %s = %s;\n" % (key, widened(literal(value))))
        else:
            # assignment to a `let`: checked against the declared type (e.g. a union of modes)
            lines.append("%s = %s;\n" % (key, literal(value)))
    # `void 0` keeps tslab from echoing the last assignment's value.
    cell = nbformat.v4.new_code_cell("// injected by tools/run-notebook.py\n" + "".join(lines) + "void 0;\n")
    cell.metadata["tags"] = ["injected-parameters"]
    nb.cells.insert(idx + 1, cell)


def stream_text(cell, names=("stdout", "stderr")):
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream" and o.get("name") in names)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("notebook")
    ap.add_argument("-o", "--output", help="where to write the executed notebook (also on failure)")
    ap.add_argument("-p", "--param", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--timeout", type=int, default=600, help="per-cell timeout in seconds (default 600)")
    ap.add_argument("--strict", action="store_true", help="also fail on async errors printed to stderr")
    ap.add_argument("--timings", action="store_true", help="print every code cell's wall time")
    a = ap.parse_args()

    nb = nbformat.read(a.notebook, as_version=4)
    if a.param:
        parameter_cell(nb, a.param)
    if a.strict:
        flush = nbformat.v4.new_code_cell("await new Promise((r) => setTimeout(r, 300));")
        flush.metadata["tags"] = [FLUSH_TAG]
        nb.cells.append(flush)

    failed = {}

    def on_error(cell, cell_index, execute_reply):
        failed.setdefault("cell", cell)
        failed.setdefault("index", cell_index)

    started, took = {}, {}

    def on_execute(cell, cell_index, **kw):
        started[cell_index] = time.time()

    def on_executed(cell, cell_index, **kw):
        took[cell_index] = time.time() - started.get(cell_index, time.time())

    client = NotebookClient(
        nb,
        timeout=a.timeout,
        startup_timeout=120,
        kernel_name=nb.metadata.get("kernelspec", {}).get("name", "tslab"),
        resources={"metadata": {"path": os.path.dirname(os.path.abspath(a.notebook))}},
        on_cell_error=on_error,
        on_cell_execute=on_execute,
        on_cell_executed=on_executed,
    )
    t0 = time.time()
    err = None
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as e:
        err = e
        if "cell" not in failed:  # timeouts and dead kernels skip on_cell_error
            for i, c in enumerate(nb.cells):
                if c.cell_type == "code" and c.get("execution_count") is None and c.source.strip():
                    failed.update(cell=c, index=i)
                    break
    if a.strict and err is None:
        for i, c in enumerate(nb.cells):
            if c.cell_type == "code" and ASYNC_ERROR.search(stream_text(c, ("stderr",))):
                failed.update(cell=c, index=i)
                err = "asynchronous error (printed to stderr after the cell's code returned)"
                break
    secs = time.time() - t0
    if nb.cells and FLUSH_TAG in nb.cells[-1].metadata.get("tags", []) and failed.get("cell") is not nb.cells[-1]:
        nb.cells.pop()
    if a.output:
        os.makedirs(os.path.dirname(os.path.abspath(a.output)), exist_ok=True)
        nbformat.write(nb, a.output)

    if err is not None:
        print("FAILED %s (%.1f s): %s" % (a.notebook, secs, type(err).__name__ if not isinstance(err, str) else err), file=sys.stderr)
        c = failed.get("cell")
        if c is not None:
            print("--- cell %d:" % failed["index"], file=sys.stderr)
            print(c.source, file=sys.stderr)
            out = stream_text(c)
            if out:
                print("--- output:", file=sys.stderr)
                print(out.rstrip(), file=sys.stderr)
            for o in c.get("outputs", []):
                if o.get("output_type") == "error":
                    print("--- error: %s: %s" % (o.get("ename", ""), o.get("evalue", "")), file=sys.stderr)
                    print("\n".join(o.get("traceback", [])), file=sys.stderr)
        if not isinstance(err, str) and not isinstance(err, CellExecutionError):
            print("--- %s" % str(err).strip().splitlines()[-1] if str(err).strip() else "", file=sys.stderr)
        if a.output:
            print("partial notebook: %s" % a.output, file=sys.stderr)
        sys.exit(1)
    first = min(started.values()) - t0 if started else 0.0
    slow = sorted(took.items(), key=lambda kv: -kv[1])[:3]
    print("ok: %s (%.1f s: kernel start %.1f s; slowest cells %s)" % (
        a.notebook, secs, first, ", ".join("#%d %.1f s" % (i, t) for i, t in slow)))
    if a.timings:
        for i in sorted(took):
            src = nb.cells[i].source.strip().splitlines() if i < len(nb.cells) else [""]
            print("  cell %2d %6.1f s  %s" % (i, took[i], (src[0] if src else "")[:70]))


if __name__ == "__main__":
    main()
