"""Local rotated files, pinned by descriptor, and their hashing.

Owns: opening a rotated file safely (no symlinks, no FIFOs, no planted hard
links), reading it by offset so a rename or swap of its name cannot change
what we read, and its sha256. Must not: know about stores, keys or the
ledger.
"""
import hashlib
import os
import stat
import threading
from dataclasses import dataclass, field

from .discover import insecure_folder
from .errors import TransientError, UnsafeInput
from .naming import escape

CHUNK = 1024 * 1024


@dataclass
class LocalFile:
    """An open rotated file, pinned by descriptor so it cannot be swapped."""

    path: str
    fd: int
    st: os.stat_result
    sha256: str = ""
    io_path: str = field(init=False)

    def __post_init__(self):
        # Re-opening /proc/self/fd/N reaches the same inode even if someone
        # replaces the name with a symlink after we checked it.
        self.io_path = f"/proc/self/fd/{self.fd}" if os.path.exists(f"/proc/self/fd/{self.fd}") else self.path

    def changed(self):
        now = os.fstat(self.fd)
        return (now.st_size, now.st_mtime_ns, now.st_ino) != (self.st.st_size, self.st.st_mtime_ns, self.st.st_ino)


def open_rotated(path):
    """Open a rotated file for reading; refuse symlinks and non-regular files."""
    try:
        before = os.lstat(path)
    except FileNotFoundError:
        raise TransientError(f"{escape(path)} vanished before it could be archived") from None
    if stat.S_ISLNK(before.st_mode):
        raise UnsafeInput(f"refusing symlink {escape(path)}",
                          "rotated logs must be regular files; remove the link")
    if not stat.S_ISREG(before.st_mode):
        raise UnsafeInput(f"refusing {escape(path)}: not a regular file")
    # O_NONBLOCK: a FIFO swapped in after the lstat would block open() forever
    # (and logrotate with it); on a regular file it changes nothing.
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
    st = os.fstat(fd)
    if (st.st_dev, st.st_ino) != (before.st_dev, before.st_ino) or not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise UnsafeInput(f"{escape(path)} was replaced while being opened")
    if st.st_nlink > 1 and os.geteuid() == 0 and insecure_folder(os.path.dirname(path)):
        # logrotate's own worry about such folders: whoever can write there can
        # plant a hard link to a file they may not read, named like a rotation.
        os.close(fd)
        raise UnsafeInput(f"refusing {escape(path)}: it has {st.st_nlink} hard links and its folder is "
                          "writable by others or by a group other than root, so it may be a planted link "
                          "to someone else's file",
                          "if it is a genuine log, remove its other link (find -samefile) and rerun")
    return LocalFile(path, fd, st)



def hash_pinned(local):
    """Set local.sha256; refuse a file that is still growing."""
    local.sha256, size = sha256_fd(local.fd)
    if size != local.st.st_size or local.changed():
        raise TransientError(f"{escape(local.path)} is still being written; the next run retries")
    return local.sha256


def hash_in_background(local):
    """A Future of hash_pinned(local), computed by a thread of its own."""
    from concurrent.futures import Future  # only big uploads need it, never the no-op path

    future = Future()

    def work():
        try:
            future.set_result(hash_pinned(local))
        except BaseException as exc:
            future.set_exception(exc)

    threading.Thread(target=work, name="sha256", daemon=True).start()
    return future


def chunks_of(fd, reader=os.pread):
    """The bytes of a descriptor from offset 0, 1 MiB at a time."""
    offset = 0
    while True:
        data = reader(fd, CHUNK, offset)
        if not data:
            return
        yield data
        offset += len(data)


def copy_fd(fd, out):
    """Write all of a pinned file to `out` (a compressor); returns the size."""
    size = 0
    for data in chunks_of(fd):
        out.write(data)
        size += len(data)
    return size


def sha256_of(chunks):
    """(sha256 hex, size) of an iterable of bytes."""
    digest, size = hashlib.sha256(), 0
    for data in chunks:
        digest.update(data)
        size += len(data)
    return digest.hexdigest(), size


def written(chunks, write):
    """The chunks, each passed to `write` on the way (hash while saving)."""
    for data in chunks:
        write(data)
        yield data


def sha256_fd(fd):
    return sha256_of(chunks_of(fd))
