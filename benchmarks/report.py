"""docs/benchmarks.md is written by several scripts: bench.py writes the main table and keeps the
sections the others own, each of which replaces its own section here."""
from __future__ import annotations

import platform
from pathlib import Path

# The owned sections in report order; bench.py keeps everything from the first one present on.
OWNED_SECTIONS = ("## Batch sizes", "## int8 quantization", "## ARM instruction mix", "## GPU")


def write_section(path: Path, header: str, section: str) -> None:
    """Replaces the section of `path` that starts with `header` (up to the next "## " heading) by
    `section`, or inserts it before the first owned section that comes after it in
    OWNED_SECTIONS (at the end when none does)."""
    text = path.read_text() if path.exists() else ""
    start = text.find("\n" + header)
    if start >= 0:
        end = text.find("\n## ", start + 1)
        text = text[:start] + ("\n" + text[end + 1:] if end >= 0 else "\n")
    later = OWNED_SECTIONS[OWNED_SECTIONS.index(header) + 1:] if header in OWNED_SECTIONS else ()
    found = [i for i in (text.find("\n" + h) for h in later) if i >= 0]
    at = min(found) if found else len(text)
    path.write_text(text[:at].rstrip("\n") + "\n\n" + section + text[at:])


def owned_start(text: str) -> int:
    """Where the first owned section of a report starts, or -1."""
    found = [i for i in (text.find("\n" + h) for h in OWNED_SECTIONS) if i >= 0]
    return min(found) if found else -1


def cpu_model() -> str:
    """The CPU's model name (/proc/cpuinfo), for a report's header."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cpu_vector_isa() -> str:
    """The widest x86 vector and dot-product extensions /proc/cpuinfo lists (what int8 kernels
    use), e.g. "AVX-512 VNNI"; "" elsewhere."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return ""
    flags = next((line.split(":", 1)[1].split() for line in text.splitlines()
                  if line.startswith("flags")), [])
    for flag, name in (("avx512_vnni", "AVX-512 VNNI"), ("avx_vnni", "AVX2 and AVX-VNNI"),
                       ("avx512f", "AVX-512 without VNNI"), ("avx2", "AVX2 without VNNI")):
        if flag in flags:
            return name
    return ""
