"""Hand leftovers back to logrotate.

When postrotate fails, logrotate leaves that rotation uncompressed, and with
`compress` set its cleanup globs never match such a file again: leftovers
pile up forever (notes: logrotate 3.21, failure behaviour). Once a leftover
is archived, it is compressed in place the way logrotate would have (same
suffix as its siblings, original mtime kept), through a temp file and a
link that never overwrites. The newest rotation is never touched: with
delaycompress it is uncompressed on purpose.

Must not: compress a file that is not archived.
"""
import os

from .codecs import compressor
from .leftover_names import SUFFIXES, find_leftovers  # noqa: F401  (where its callers look for it)
from .localfile import copy_fd, open_rotated
from .naming import escape


def compress_in_place(cand, suffix, log):
    """X -> X.gz beside it; X is removed only if unchanged meanwhile."""
    import tempfile

    local = open_rotated(cand.path)
    folder = os.path.dirname(cand.path)
    fd, tmp = tempfile.mkstemp(prefix=".swiftrotate-", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out:
            with compressor(suffix, out) as packer:
                copy_fd(local.fd, packer)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, local.st.st_mode & 0o7777)
        os.chown(tmp, local.st.st_uid, local.st.st_gid)
        os.utime(tmp, ns=(local.st.st_atime_ns, local.st.st_mtime_ns))  # as logrotate keeps it
        os.link(tmp, cand.path + suffix)  # never overwrites
        if local.changed():
            os.unlink(cand.path + suffix)
            log.warning("left %s uncompressed: it changed while being compressed", escape(cand.path))
            return False
        os.unlink(cand.path)
        log.info("compressed leftover %s to %s", escape(cand.path), escape(cand.path + suffix))
        return True
    finally:
        os.close(local.fd)
        if os.path.exists(tmp):
            os.unlink(tmp)
