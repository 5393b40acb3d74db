"""logrotate compressing with another tool (zstd, lz4, zip): the same unit, not
a conflict; a form nothing here can read is 78."""
import pytest

from tests.support.cliconfig import base_config
from tests.support.clirun import rotated, run_cli, write_config


def _zstd(data):
    import zstandard

    return zstandard.ZstdCompressor().compress(data)


def _lz4(data):
    import subprocess

    return subprocess.run(["lz4", "-c"], input=data, capture_output=True, check=True).stdout


def _zip(data):
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("app.log-20261125", data)
    return out.getvalue()


def _zstd_two_frames(data):
    import zstandard

    half = len(data) // 2  # what `cat a.zst b.zst` or an appended frame gives
    return zstandard.ZstdCompressor().compress(data[:half]) + zstandard.ZstdCompressor().compress(data[half:])


@pytest.mark.parametrize("ext, pack, hide_zstandard", [
    (".zst", _zstd, False), (".zst", _zstd_two_frames, False), (".zst", _zstd, True), (".zst", _zstd_two_frames, True),
    (".lz4", _lz4, False), (".zip", _zip, False),
], ids=["zst", "zst-frames", "zst-tool", "zst-frames-tool", "lz4", "zip"])
def test_logrotate_compressing_with_another_tool_is_the_same_unit(tmp_path, ext, pack, hide_zstandard):
    """compresscmd zstd (or lz4, zip): X archived yesterday is X.zst today.
    Same content: one unit, exit 0 (it used to be 65 on every run). Read by
    the zstandard package, or by the zstd tool when the package is absent."""
    logs = tmp_path / "logs"
    data = b"a day of lines\n" * 1000
    path = rotated(logs, "app.log-20261125", data)
    cfg = write_config(tmp_path / "c.conf", base_config(tmp_path))
    assert run_cli("--config", cfg, "upload", str(logs / "app.log")).returncode == 0
    rotated(logs, "app.log-20261125" + ext, pack(data))
    path.unlink()
    env = {}
    if hide_zstandard:
        blocker = tmp_path / "block"
        blocker.mkdir()
        (blocker / "sitecustomize.py").write_text("import sys\nsys.modules['zstandard'] = None\n")
        env["PYTHONPATH"] = str(blocker)
    proc = run_cli("--config", cfg, "upload", "-v", str(logs / "app.log"), env=env)
    assert proc.returncode == 0, proc.stderr
    assert "twin" in proc.stderr
    stored = [p for p in (tmp_path / "state/archive").rglob("app.log-*") if p.suffix != ".srmeta"]
    assert [p.name for p in stored] == ["app.log-20261125"]
    # a different content under the same stamp is still a conflict, not a twin
    rotated(logs, "app.log-20261125" + ext, pack(data + b"written after archiving\n"))
    assert run_cli("--config", cfg, "upload", str(logs / "app.log"), env=env).returncode == 65


def test_a_form_nothing_here_can_read_is_78_not_a_conflict(tmp_path):
    logs = tmp_path / "logs"
    data = b"lines\n" * 100
    path = rotated(logs, "app.log-20261125", data)
    cfg = write_config(tmp_path / "c.conf", base_config(tmp_path))
    assert run_cli("--config", cfg, "upload", str(logs / "app.log")).returncode == 0
    rotated(logs, "app.log-20261125.lz4", _lz4(data))
    path.unlink()
    bare = tmp_path / "bin"  # a PATH without lz4
    bare.mkdir()
    proc = run_cli("--config", cfg, "upload", str(logs / "app.log"), env={"PATH": str(bare)})
    assert proc.returncode == 78, proc.stderr
    assert "nothing here reads .lz4" in proc.stderr and "install lz4" in proc.stderr

