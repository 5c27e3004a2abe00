"""The lines of a dnncc / dnncc-run stderr that the program wrote, for the error-contract checks
(expect_error.py, tests/malformed/run_corpus.py): AddressSanitizer's advisory that it cannot
follow stack switches, which the asan preset's builds print when a library the program loads
switches stacks, is dropped."""
import re

ASAN_CONTEXT_WARNING = re.compile(
    r"^==\d+==WARNING: ASan doesn't fully support makecontext/swapcontext functions")


def program_lines(stderr):
    """stderr's lines without AddressSanitizer's makecontext/swapcontext advisory."""
    return [line for line in stderr.splitlines() if not ASAN_CONTEXT_WARNING.match(line)]
