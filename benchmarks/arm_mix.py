#!/usr/bin/env python3
"""ARM instruction mix of dnncc's kernels, read from `dnncc --emit=asm` (ARM speed cannot be
timed on an x86 machine: qemu-user runs the code but its timing says nothing about a Cortex-A).

For each model and ARM target this script compiles the model to assembly, groups the functions of
each kernel (the kernel symbol and its `_par_for_*` task closures), finds each kernel's hot loop
(the basic block with the most vector multiply-adds: the register tile's unrolled inner loop) and
counts its instructions by class:
  - FMA: vector multiply-accumulate (AArch64 `fmla`/`fmls` on v registers; ARMv7 `vfma`/`vmla`/
    `vfms`/`vmls` on q/d registers), and vector multiplies and adds apart (`fmul`/`fadd`,
    `vmul.f32`/`vadd.f32`: the ARMv7 targets have no fused multiply-add, so a multiply-add is a
    `vmul` and a `vadd` there); multiply-adds = FMAs + min(multiplies, adds);
  - vector loads / stores (AArch64 `ld1*`/`ldr q`/`ldp q`/`ld1r`, `st1`/`str q`/`stp q`; ARMv7
    `vld*`, `vst*`, `vldr`, `vstr`, `vldm`, `vstm`);
  - other vector instructions, and the rest (scalar: address arithmetic, loop control).
A register-tiled conv or matmul has a hot loop of FMAs fed by few loads: the table shows the FMA
count, loads per FMA, and the FMA share of the loop. Run from the repository root:

    .venv/bin/python benchmarks/arm_mix.py [--models mobilenet_v2,resnet18] \\
        [--targets rk3399,armv7] [--top 6] [--out docs/benchmarks.md]

With --out, the report's "## ARM instruction mix" section is replaced (or inserted where
benchmarks/report.py places it); without it, the section is printed.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import report  # noqa: E402  (benchmarks/report.py)

REPO_ROOT = Path(__file__).resolve().parent.parent
SECTION = "## ARM instruction mix"
FUNCTION = re.compile(r"^(dnncc_[A-Za-z0-9_]+):")
BLOCK = re.compile(r"^\.?L[A-Za-z0-9_$.]*:")
INSTRUCTION = re.compile(r"^\s+([a-z][a-z0-9.]*)\s*(.*?)\s*(?://.*|@.*)?$")
TASK_SUFFIX = re.compile(r"_par_for_.*$")


def classify(mnemonic: str, operands: str) -> str:
    """fma, load, store, vector or other, for AArch64 and ARMv7 (NEON) instructions."""
    a64_vector = re.search(r"\bv\d+\.", operands) is not None
    q_reg = re.match(r"\s*q\d+", operands) is not None
    if mnemonic in ("fmla", "fmls") and a64_vector:
        return "fma"
    if re.match(r"v(fma|mla|fms|mls)\.f32$", mnemonic):
        return "fma"
    if (mnemonic == "fmul" and a64_vector) or mnemonic == "vmul.f32":
        return "mul"
    if (mnemonic == "fadd" and a64_vector) or mnemonic == "vadd.f32":
        return "add"
    if mnemonic.startswith(("ld1", "ld2", "ld3", "ld4")) or (mnemonic in ("ldr", "ldp", "ldur")
                                                            and q_reg):
        return "load"
    if mnemonic.startswith("vld"):
        return "load"
    if mnemonic.startswith(("st1", "st2", "st3", "st4")) or (mnemonic in ("str", "stp", "stur")
                                                            and q_reg):
        return "store"
    if mnemonic.startswith("vst"):
        return "store"
    if a64_vector or (mnemonic.startswith("v") and mnemonic not in ("vmrs", "vmsr")):
        return "vector"
    return "other"


@dataclass
class Kernel:
    symbol: str
    blocks: list[dict[str, int]] = field(default_factory=list)

    def hot(self) -> dict[str, int]:
        """The basic block with the most multiply-adds (ties: the densest one, as an unrolled
        reduction loop is denser than the blocks around it)."""
        return max(self.blocks,
                   key=lambda b: (multiply_adds(b), multiply_adds(b) / max(1, sum(b.values()))),
                   default={})


def multiply_adds(block: dict[str, int]) -> int:
    return block.get("fma", 0) + min(block.get("mul", 0), block.get("add", 0))


def parse(asm: str) -> dict[str, Kernel]:
    kernels: dict[str, Kernel] = {}
    current: Kernel | None = None
    block: dict[str, int] | None = None
    for line in asm.splitlines():
        m = FUNCTION.match(line)
        if m:
            name = m[1]
            if name.endswith(("_argv", "_metadata")) or not re.search(r"_[0-9a-f]{8}", name):
                current = None
                continue
            symbol = TASK_SUFFIX.sub("", name)
            current = kernels.setdefault(symbol, Kernel(symbol))
            block = {}
            current.blocks.append(block)
            continue
        if current is None:
            continue
        if BLOCK.match(line):
            block = {}
            current.blocks.append(block)
            continue
        m = INSTRUCTION.match(line)
        if m and not m[1].startswith("."):
            kind = classify(m[1], m[2])
            block[kind] = block.get(kind, 0) + 1
    return kernels


def section(rows: list[tuple[str, str, Kernel]], args: argparse.Namespace) -> str:
    lines = [SECTION, "",
             f"`benchmarks/arm_mix.py` on `dnncc --emit=asm` (models {', '.join(args.models)}; "
             f"targets {', '.join(args.targets)}): per model and target, the {args.top} kernels "
             "whose hot loop (the basic block with the most vector multiply-adds) has the most. "
             "FMA: fused (`fmla`); mul / add: separate vector multiplies and adds (ARMv7 has no "
             "fused multiply-add); loads/MA: vector loads per multiply-add in that loop (a "
             "register tile reuses each load several times); MA share: the loop's instructions "
             "that are multiply-adds (a `vmul` + `vadd` pair counts twice).", "",
             "| model | target | kernel | loop instructions | FMA | mul | add | vector loads "
             "| vector stores | other vector | scalar | loads/MA | MA share |",
             "|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"]
    for model, target, k in rows:
        h = k.hot()
        total = sum(h.values())
        ma = multiply_adds(h)
        instructions = h.get("fma", 0) + 2 * min(h.get("mul", 0), h.get("add", 0))
        lines.append(
            f"| {model} | {target} | `{k.symbol}` | {total} | {h.get('fma', 0)} "
            f"| {h.get('mul', 0)} | {h.get('add', 0)} | {h.get('load', 0)} | {h.get('store', 0)} "
            f"| {h.get('vector', 0)} | {h.get('other', 0)} "
            + (f"| {h.get('load', 0) / ma:.2f} | {100 * instructions / total:.0f}% |" if ma
               else "| | |"))
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dnncc", default=str(REPO_ROOT / "build" / "bin" / "dnncc"))
    parser.add_argument("--zoo", type=Path, default=REPO_ROOT / "models" / "zoo")
    parser.add_argument("--models", default="mobilenet_v2,resnet18")
    parser.add_argument("--targets", default="rk3399,armv7")
    parser.add_argument("--top", type=int, default=6, help="kernels per model and target")
    parser.add_argument("--out", type=Path, help="report whose ARM section is replaced")
    args = parser.parse_args()
    args.models, args.targets = args.models.split(","), args.targets.split(",")
    rows = []
    with tempfile.TemporaryDirectory(prefix="dnncc-armmix-") as tmp:
        for model in args.models:
            for target in args.targets:
                out = Path(tmp) / f"{model}_{target}.s"
                subprocess.run([args.dnncc, str(args.zoo / model / "model.onnx"),
                                f"--target={target}", "--emit=asm", "-o", str(out)], check=True)
                kernels = parse(out.read_text())
                best = sorted(kernels.values(), key=lambda k: -multiply_adds(k.hot()))
                rows += [(model, target, k) for k in best[:args.top]]
    text = section(rows, args)
    if args.out is None:
        print(text)
        return 0
    report.write_section(args.out, SECTION, text)
    print(f"arm_mix: wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
