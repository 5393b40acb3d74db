"""Container listings for SwiftBackend: every object under a prefix, the
folders under one, and one folder level in either direction.

Swift lists in UTF-8 byte order, marker/end_marker bound the range on the
server, and reverse=on (Swift 2.14 and later) walks it from the end: the
newest archive of a log is the first entry of one request.

Owns: the listing requests and paging. Must not: connect or translate
errors (swift.py's _call does both).
"""
from ..errors import NotFound
from .base import ObjectInfo


class ListingMixin:
    """list(), list_dirs() and list_level() of the Backend contract, on
    SwiftBackend's connection (self._call, self._conn, self._full)."""

    def _page(self, prefix, marker, end, limit, **extra):
        """One listing request; [] when the container does not exist."""
        try:
            _, page = self._call(f"list {self.container}", self._conn().get_container, self.container,
                                 prefix=self._full(prefix), marker=marker, end_marker=end, limit=limit, **extra)
        except NotFound:
            return []
        return page

    def list(self, prefix="", start_after=None, end_before=None):
        marker = self._full(start_after) if start_after is not None else ""
        end = self._full(end_before) if end_before is not None else None
        while True:
            page = self._page(prefix, marker, end, self.list_page_size)
            for item in page:
                if "name" not in item:
                    continue
                yield ObjectInfo(item["name"][len(self.prefix):], int(item["bytes"]),
                                 etag=item.get("hash"))
            if len(page) < self.list_page_size:
                return
            marker = page[-1].get("name") or page[-1].get("subdir")

    def list_dirs(self, prefix=""):
        for entry in self.list_level(prefix):
            if entry.is_folder:
                yield entry.key[len(prefix):].rstrip("/")

    def list_level(self, prefix="", start_after=None, end_before=None, *, reverse=False, limit=None):
        # reversed, Swift reads marker as the upper bound and end_marker as the lower one
        low = self._full(start_after) if start_after is not None else None
        high = self._full(end_before) if end_before is not None else None
        marker, end = (high or "", low) if reverse else (low or "", high)
        left = limit
        while left is None or left > 0:
            size = self.list_page_size if left is None else min(left, self.list_page_size)
            page = self._page(prefix, marker, end, size, delimiter="/",
                              query_string="reverse=on" if reverse else None)
            for item in page:
                name = item.get("name") or item["subdir"]
                yield ObjectInfo(name[len(self.prefix):], int(item.get("bytes", 0)), etag=item.get("hash"))
            if len(page) < size:
                return
            left = None if left is None else left - len(page)
            marker = page[-1].get("name") or page[-1].get("subdir")
