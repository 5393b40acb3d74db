"""Which forms of a unit (X, X.gz, ...) the store holds, from one listing
per log and run: a backlog of a thousand rotations of one log costs one
(paged) LIST, not a thousand.

Owns: that cache and when it is stale. Must not: decide anything.
"""
import threading

from .naming import COMPRESS_SUFFIXES, unit_id


def log_prefix(unit, stamp):
    """The key prefix all of one log's archives share: the unit without its stamp."""
    return unit[: len(unit) - len(stamp)] if stamp and unit.endswith(stamp) else unit


class Listing:
    def __init__(self, backend):
        self.backend = backend
        self._lock = threading.Lock()
        self._listed = {}  # log key prefix -> keys in the store
        self._stale = set()  # units whose failed upload may have been stored after all

    def forms(self, unit, stamp=None):
        """Keys of this unit in the store, the plain form first."""
        prefix = log_prefix(unit, stamp)
        with self._lock:
            keys = self._listed.get(prefix)
            if keys is None:
                keys = self._listed[prefix] = {o.key for o in self.backend.list(prefix)}
            elif unit in self._stale:
                keys |= {o.key for o in self.backend.list(unit)}  # only this unit again, not the log
            self._stale.discard(unit)
        wanted = [unit] + [unit + s for s in COMPRESS_SUFFIXES]
        return [k for k in wanted if k in keys]

    def forget(self, unit):
        """A failed upload may still have been stored (its answer lost): the
        other form of this rotation, next in this run, must list again."""
        with self._lock:
            self._stale.add(unit)

    def add(self, key, stamp):
        prefix = log_prefix(unit_id(key), stamp)
        with self._lock:
            if prefix in self._listed:
                self._listed[prefix].add(key)
