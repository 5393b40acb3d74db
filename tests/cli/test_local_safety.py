"""Local files an attacker or a broken host could plant: symlinks, hard links in
folders others can write, a read-only or world-writable state folder."""
import os
import time

import pytest

from tests.support.cliconfig import base_config
from tests.support.clirun import rotated, run_cli, write_config


def test_symlinked_rotation_is_refused(tmp_path):
    secret = tmp_path / "shadow"
    secret.write_text("root:secret\n")
    (tmp_path / "logs").mkdir()
    os.symlink(secret, tmp_path / "logs/app.log-20261125")
    cfg = write_config(tmp_path / "c.conf", base_config(tmp_path))
    proc = run_cli("--config", cfg, "upload", str(tmp_path / "logs/app.log"))
    assert proc.returncode == 65, proc.stderr
    assert "refusing symlink" in proc.stderr
    assert not any((tmp_path / "state/archive").rglob("app.log-20261125"))


@pytest.mark.parametrize("mode,gid,refused", [
    (0o777, 0, True),        # world-writable
    (0o1777, 0, True),       # sticky does not help: anyone may still create the name
    (0o775, 4242, True),     # group-writable by a group that is not root
    (0o775, 0, False),       # group-writable by root's group: fine, as for logrotate
    (0o755, 4242, False),    # only root could have made the link
], ids=["o+w", "sticky", "g+w-nonroot", "g+w-root", "not-writable"])
def test_a_hard_link_in_a_folder_others_can_write_is_refused_as_root(tmp_path, mode, gid, refused):
    """Ubuntu's /var/log is root:syslog 0775: a user of that group could plant
    a hard link to a file it may not read, named like a rotation. Plain files
    there are archived; a file with another link is refused, by the hook and
    by the gate (which keeps it rather than spooling it)."""
    if os.geteuid() != 0:
        pytest.fail("this test needs root, as the hook runs under logrotate")
    secret = tmp_path / "private" / "shadow"
    secret.parent.mkdir(mode=0o700)
    secret.write_bytes(b"root:$6$secret\n")
    logs = tmp_path / "logs"
    plain = rotated(logs, "app.log-20261124", b"x\n")
    planted = logs / "app.log-20261125"
    os.link(secret, planted)
    os.utime(planted, (time.time() - 3600,) * 2)
    os.chown(logs, 0, gid)
    os.chmod(logs, mode)
    cfg = write_config(tmp_path / "c.conf", {**base_config(tmp_path), "swiftrotate": {
        **base_config(tmp_path)["swiftrotate"], "spool_dir": str(tmp_path / "spool")}})
    proc = run_cli("--config", cfg, "upload", str(logs / "app.log"))
    store = tmp_path / "state/archive/web01" / str(logs).lstrip("/")
    assert (store / plain.name).read_bytes() == b"x\n"  # the plain rotation is archived either way
    if refused:
        assert proc.returncode == 65, proc.stderr
        assert "2 hard links" in proc.stderr and "find -samefile" in proc.stderr
        assert not (store / planted.name).exists()
        gate = run_cli("--config", cfg, "gate", str(planted))
        assert gate.returncode == 1 and "planted link" in gate.stderr, gate.stderr
        assert not (store / planted.name).exists() and not any((tmp_path / "spool").rglob("*"))
        assert secret.read_bytes() == b"root:$6$secret\n"
    else:
        assert proc.returncode == 0, proc.stderr
        assert (store / planted.name).exists()


def test_read_only_state_folder_is_a_local_io_error(tmp_path):
    """Root ignores mode bits, so the folder is a read-only mount: exit 74
    naming the lock file and the fix, not 'internal error'."""
    import subprocess
    import sys

    rotated(tmp_path / "logs", "app.log-20261125", b"x\n")
    (tmp_path / "state").mkdir()
    cfg = write_config(tmp_path / "c.conf", base_config(tmp_path))
    script = (f"mount -t tmpfs -o ro,mode=0700 tmpfs {tmp_path / 'state'} && "
              f"{sys.executable} -m swiftrotate --config {cfg} upload {tmp_path / 'logs/app.log'}")
    proc = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 74, proc.stderr
    line, = proc.stderr.strip().splitlines()
    assert "lock" in line and "Read-only file system" in line and "state_dir" in line
    assert (tmp_path / "logs/app.log-20261125").exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="the check protects root's runs only")
def test_state_folder_writable_by_others_is_refused_as_root(tmp_path):
    rotated(tmp_path / "logs", "app.log-20261125", b"x\n")
    (tmp_path / "state").mkdir()
    os.chmod(tmp_path / "state", 0o777)
    cfg = write_config(tmp_path / "c.conf", base_config(tmp_path))
    proc = run_cli("--config", cfg, "upload", str(tmp_path / "logs/app.log"))
    assert proc.returncode == 78, proc.stderr
    assert "writable by other users" in proc.stderr and "chmod 700" in proc.stderr
    assert not (tmp_path / "state/ledger.sqlite").exists()

