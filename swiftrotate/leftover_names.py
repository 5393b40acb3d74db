"""Which archived rotations are leftovers for leftovers.compress_in_place:
names only, without the compressors, which every upload run asks and only
a run after a failed one needs.
"""
import os
from collections import defaultdict

# What logrotate's own compress options make, and we can write the same way.
SUFFIXES = (".gz", ".bz2", ".xz")


def find_leftovers(cands):
    """(candidate, suffix) for uncompressed rotations that are not the newest
    of their log and whose siblings are all compressed with one suffix."""
    groups = defaultdict(list)
    for cand in cands:
        groups[(cand.live, os.path.dirname(cand.path))].append(cand)
    out = []
    for group in groups.values():
        suffixes = {c.ext for c in group if c.ext}
        if len(suffixes) != 1 or next(iter(suffixes)) not in SUFFIXES:
            continue
        suffix = suffixes.pop()
        newest = max(c.stamp for c in group)
        for cand in group:
            if not cand.ext and cand.stamp != newest and not os.path.lexists(cand.path + suffix):
                out.append((cand, suffix))
    return out
