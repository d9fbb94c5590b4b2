#!/usr/bin/python3
"""Wall time of a notebook's import cell in a fresh tslab kernel (docs/notebooks.md, issue 15).

Usage:
  JUPYTER_PATH=$PWD/jupyter PATH=$PWD/node_modules/.bin:$PATH \\
    /usr/bin/python3 tools/time-import-cell.py notebooks/01-semi-supervised-probe.ipynb [--runs N]

Starts the project's `tslab` kernel in the notebook's folder (as Jupyter does), runs the cells before the
first code cell that imports from './lib' (the parameters), then times that import cell; prints the kernel
start, the import cell and `uptime`'s load next to each run, one JSON line per run. Needs Debian's
jupyter-client (scripts/setup-notebooks.sh).
"""
import argparse
import json
import os
import re
import time

import nbformat
from jupyter_client.manager import start_new_kernel


def run_cell(kc, code, timeout):
    msg_id = kc.execute(code)
    errors = []
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        t = msg["msg_type"]
        if t == "error":
            errors.append("%s: %s" % (msg["content"]["ename"], msg["content"]["evalue"]))
        elif t == "stream" and msg["content"]["name"] == "stderr":
            errors.append(msg["content"]["text"])
        elif t == "status" and msg["content"]["execution_state"] == "idle":
            break
    while True:
        reply = kc.get_shell_msg(timeout=timeout)
        if reply["parent_header"].get("msg_id") == msg_id:
            break
    if reply["content"].get("status") != "ok":
        raise SystemExit("cell failed:\n%s\n%s" % (code[:400], "\n".join(errors)))


def load():
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("notebook")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--timeout", type=int, default=300)
    a = ap.parse_args()
    nb = nbformat.read(a.notebook, as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    idx = next(i for i, s in enumerate(code) if re.search(r"from\s+['\"]\./lib['\"]", s))
    cwd = os.path.dirname(os.path.abspath(a.notebook))
    for _ in range(a.runs):
        load0 = load()
        t0 = time.time()
        km, kc = start_new_kernel(kernel_name="tslab", cwd=cwd, startup_timeout=a.timeout)
        try:
            t_kernel = time.time() - t0
            for s in code[:idx]:
                run_cell(kc, s, a.timeout)
            load1 = load()
            t1 = time.time()
            run_cell(kc, code[idx], a.timeout)
            t_import = time.time() - t1
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=True)
        print(json.dumps({
            "notebook": os.path.basename(a.notebook),
            "kernel_start_s": round(t_kernel, 1),
            "import_cell_s": round(t_import, 1),
            "load_before_start": float(load0),
            "load_before_import": float(load1),
            "load_after": float(load()),
        }), flush=True)


if __name__ == "__main__":
    main()
