"""`swiftrotate ls`: what the store holds under a prefix, sorted by key.

Owns: the listing. Must not: print; cli/ls.py writes each line as it comes,
so a listing of a million keys never sits in memory.
"""


def run(prefix, *, open_backend, on_item):
    """on_item(ObjectInfo) for every object under `prefix`; returns how many."""
    count = 0
    with open_backend() as backend:
        for info in backend.list(prefix):
            on_item(info)
            count += 1
        if not count:
            backend.check_container()  # a missing container lists as empty: NotFound names it
    return count
