"""polars' memory allocator, tuned for this platform's batch work.

polars allocates with its own jemalloc, which by default (set in ``polars/__init__.py``,
which appends the options of ``_RJEM_MALLOC_CONF`` to its own) hands freed pages back to
the kernel after 0.5 s (dirty) and 1 s (muzzy). A chunk of the ingest frees hundreds of MB
that the next chunk allocates again a second later, so the pages went back and were
faulted in again: a ninth of the ingest's CPU was the kernel's (madvise and page
faults). Kept for 5 s, the ingest of a 9,000-bus day takes about 1.5 CPU s less, for
about 250 MB more peak memory (bench/README.md). jemalloc reads its options once, when
polars first allocates: this must run before polars is imported.
"""

import os
import sys

CONFIG_VARIABLE = "_RJEM_MALLOC_CONF"  # the prefixed jemalloc that polars links
DECAY = "dirty_decay_ms:5000,muzzy_decay_ms:5000"


def tune_polars_allocator() -> None:
    """Keep freed pages 5 s before returning them, unless the environment says otherwise
    or polars is loaded already (then it is too late, and harmless to skip)."""
    if "polars" in sys.modules:
        return
    os.environ.setdefault(CONFIG_VARIABLE, DECAY)
