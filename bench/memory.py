"""Peak memory of the current process, for benchmarks that run work in a child process."""

from __future__ import annotations

import resource


def peak_rss_mib() -> float:
    """This process's own peak resident set (VmHWM), in MiB.

    Not ``ru_maxrss``: Linux carries it across fork and exec, so a child started by a big
    benchmark process reports the parent's peak (measured: a child of a 313 MB parent showed
    ru_maxrss 313 MB while its VmHWM was 14 MB). Falls back to ``ru_maxrss`` off Linux.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
