"""Every compressor and decompressor, in one place: upload's --compress,
fetch --decompress, rename's dating by content, the leftovers logrotate
did not compress, and the comparison of a log's two forms (X and X.gz).

Owns: which suffix is read or written by what (Python's own modules, the
zstandard package, or an external tool), and hashing what a compressed file
holds. Must not: know about stores or the ledger. Compression modules are
imported when used: the no-op hook never (de)compresses anything.
"""
import os

from .errors import ConfigError
from .localfile import CHUNK, LocalFile, copy_fd, sha256_fd, sha256_of
from .naming import escape


def decompressor(ext):
    """An opener (path, mode) for `ext` from Python itself, or None."""
    # imported here: the no-op hook path never decompresses anything
    import bz2
    import gzip
    import lzma

    if ext == ".zst":
        try:
            import zstandard
        except ImportError:
            return None

        def zstd_open(source, mode="rb"):  # like gzip.open: a path or a binary file
            owned = isinstance(source, (str, bytes, os.PathLike))
            raw = open(source, "rb") if owned else source
            # read_across_frames: zstd -c of several inputs, or an appended frame, is one file
            return zstandard.ZstdDecompressor().stream_reader(raw, closefd=owned, read_across_frames=True)

        return zstd_open
    return {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}.get(ext)


def decompress_errors():
    """What the decompressors raise on bytes that are not what their suffix says."""
    import lzma
    import zlib

    errors = (OSError, EOFError, ValueError, lzma.LZMAError, zlib.error)
    try:
        import zstandard
    except ImportError:
        return errors
    return errors + (zstandard.ZstdError,)


# Forms Python cannot read by itself (logrotate's compresscmd may make any of
# them): the tool that can, writing the content to stdout.
# The file goes in on stdin; unzip, which must seek, opens it as /dev/stdin.
READERS = {".zst": ("zstd", "-dcq"), ".lz4": ("lz4", "-dcq"), ".Z": ("gzip", "-dc"),
           ".zip": ("unzip", "-p", "/dev/stdin")}


def content_sha256(local, ext):
    """sha256 and size of the uncompressed content, or (None, None) when the
    file does not decompress (truncated, or not really compressed). Raises
    ConfigError when nothing here can read `ext`: "cannot tell" is not
    "differs"."""
    if not ext:
        return local.sha256, local.st.st_size
    opener = decompressor(ext)
    if opener is None:
        return _content_sha256_by_tool(local, ext)
    try:
        with opener(local.io_path, "rb") as f:
            return sha256_of(iter(lambda: f.read(CHUNK), b""))
    except decompress_errors():
        return None, None


def _content_sha256_by_tool(local, ext):
    import shutil
    import subprocess

    tool = READERS.get(ext)
    if tool is None or shutil.which(tool[0]) is None:
        if tool is None:
            need = "compress with gzip, bzip2, xz, zstd or lz4"
        elif ext == ".zst":
            need = "install zstd or pip install 'swiftrotate[zstd]'"
        else:
            need = f"install {tool[0]}"
        raise ConfigError(f"cannot compare {escape(local.path)} with its archived other form: nothing here reads "
                          f"{ext} files", need)
    # The child reads the same pinned file through a descriptor of its own
    # (zstd and lz4 refuse a /proc/self/fd path: "is a symbolic link").
    with open(local.io_path, "rb") as pinned:
        proc = subprocess.Popen(tool, stdin=pinned, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        with proc.stdout:
            content = sha256_of(iter(lambda: proc.stdout.read(CHUNK), b""))
        return content if proc.wait() == 0 else (None, None)


def _gzip_writer(out, level):
    import gzip

    # mtime=0 and no file name: the same input always gives the same bytes
    return gzip.GzipFile(filename="", mode="wb", fileobj=out, compresslevel=level, mtime=0)


def _bz2_writer(out, level):
    import bz2

    return bz2.BZ2File(out, "wb", compresslevel=level)


def _xz_writer(out, level):
    import lzma

    return lzma.LZMAFile(out, "wb", preset=level)


def _zstd_writer(out, level):
    try:
        import zstandard
    except ImportError:
        raise ConfigError("--compress zstd needs the zstandard package",
                          "pip install 'swiftrotate[zstd]', or use --compress gzip") from None
    return zstandard.ZstdCompressor(level=level).stream_writer(out, closefd=False)


# suffix -> (writer(out, level), level)
WRITERS = {".gz": (_gzip_writer, 6), ".bz2": (_bz2_writer, 9), ".xz": (_xz_writer, 6), ".zst": (_zstd_writer, 3)}
# --compress METHOD -> the suffix it writes
COMPRESSORS = {"gzip": ".gz", "zstd": ".zst"}


def compressor(suffix, out):
    """A file-like writer compressing into `out` as `suffix` says."""
    writer, level = WRITERS[suffix]
    return writer(out, level)


def compress_to_temp(local, suffix, folder):
    """Compress the pinned file into an unlinked-on-close temp file in
    `folder`, streaming in 1 MiB chunks (memory stays flat). Returns an open
    LocalFile of the result with its sha256 set."""
    import tempfile

    fd, tmp = tempfile.mkstemp(prefix=".swiftrotate-", suffix=suffix, dir=folder)
    os.unlink(tmp)  # at once: the descriptor keeps it, and a killed run leaves nothing behind
    try:
        with os.fdopen(os.dup(fd), "wb") as out:
            with compressor(suffix, out) as packer:
                copy_fd(local.fd, packer)
        packed = LocalFile(tmp, fd, os.fstat(fd))
        packed.sha256, _ = sha256_fd(fd)
        return packed
    except BaseException:
        os.close(fd)
        raise
