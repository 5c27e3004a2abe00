#!/usr/bin/env python3
"""Runs one failing dnncc / dnncc-run command and checks the error contract (docs: DESIGN.md,
"Bad input is normal input"): the exit code, no signal, stderr exactly N lines starting with
'error: ' (N=1 unless --lines), each expected text present, and an output directory that is still
empty afterwards (no output, header or temporary file left behind).
  expect_error.py [--exit 1] [--lines 1] [--contains TEXT]... [--stdout-contains TEXT]...
                  [--empty-dir DIR] -- COMMAND ARGS...
--empty-dir DIR is emptied (created) before the command and must be empty after it; the command
usually writes its -o file into it. The command runs with DIR as its working directory when
--cwd is given."""
import argparse
import os
import shutil
import signal
import subprocess
import sys

from stderr_lines import program_lines


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--exit", type=int, default=1, help="expected exit code")
    ap.add_argument("--lines", type=int, default=1, help="expected number of stderr lines")
    ap.add_argument("--contains", action="append", default=[], help="text stderr must contain")
    ap.add_argument("--stdout-contains", action="append", default=[])
    ap.add_argument("--empty-dir", action="append", default=[],
                    help="a directory that must be empty after the command (emptied before)")
    ap.add_argument("--cwd", help="working directory of the command")
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("command", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    cmd = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not cmd:
        ap.error("no command given")
    for d in args.empty_dir:
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)

    print("$ " + " ".join(cmd), flush=True)
    p = subprocess.run(cmd, capture_output=True, text=True, errors="replace", cwd=args.cwd,
                       timeout=args.timeout)
    sys.stdout.write("--- stdout\n" + p.stdout + "--- stderr\n" + p.stderr + "---\n")
    problems = []
    if p.returncode < 0:
        problems.append(f"killed by signal {signal.Signals(-p.returncode).name} (a crash)")
    elif p.returncode != args.exit:
        problems.append(f"exit code {p.returncode}, expected {args.exit}")
    lines = program_lines(p.stderr)
    if len(lines) != args.lines:
        problems.append(f"stderr has {len(lines)} lines, expected {args.lines}")
    for line in lines:
        if not line.startswith("error: "):
            problems.append(f"stderr line does not start with 'error: ': {line!r}")
    for text in args.contains:
        if text not in p.stderr:
            problems.append(f"stderr does not contain {text!r}")
    for text in args.stdout_contains:
        if text not in p.stdout:
            problems.append(f"stdout does not contain {text!r}")
    for d in args.empty_dir:
        left = sorted(os.listdir(d)) if os.path.isdir(d) else []
        if left:
            problems.append(f"files left behind in {d}: {left}")
    for msg in problems:
        print("FAIL: " + msg)
    if not problems:
        print("ok")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
