"""The no-op path stays light: no storage client library, and a tempauth upload
loads no keystoneclient."""

from tests.support.cliconfig import swift_config
from tests.support.clirun import rotated, run_cli


def test_noop_path_imports_no_client_library(tmp_path, swift_server):
    rotated(tmp_path / "logs", "app.log-20261125", b"x\n")
    cfg = swift_config(tmp_path, swift_server.auth_url)
    assert run_cli("--config", cfg, "upload", str(tmp_path / "logs/app.log")).returncode == 0
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "swiftrotate", "--config", cfg, "upload",
                           str(tmp_path / "logs/app.log")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    imported = {line.split("|")[-1].strip().split(".")[0] for line in proc.stderr.splitlines() if "|" in line}
    assert "sqlite3" in imported  # the measurement works
    assert not imported & {"boto3", "botocore", "swiftclient", "requests"}, imported & {"boto3", "botocore"}
    modules = {line.split("|")[-1].strip() for line in proc.stderr.splitlines() if "|" in line}
    # nothing to archive: the archiver, its codecs (bz2, lzma, zstd) and download stay unloaded
    assert not modules & {"swiftrotate.archiver", "swiftrotate.codecs", "swiftrotate.download"}
    # the hook's budget (100 ms, issue 13): click, and stdlib modules that cost more than they give here
    assert not modules & {"click", "dataclasses", "inspect", "typing", "tempfile", "shutil"}, \
        modules & {"click", "dataclasses", "inspect", "typing", "tempfile", "shutil"}


def test_v1_upload_does_not_load_keystoneclient(tmp_path, swift_server):
    """python-swiftclient imports keystoneclient (installed here) at start;
    a tempauth upload hides it and still works."""
    import subprocess
    import sys

    import keystoneclient  # noqa: F401  (installed, so hiding it is what keeps it out)

    rotated(tmp_path / "logs", "app.log-20261125", b"x\n")
    cfg = swift_config(tmp_path, swift_server.auth_url)
    script = ("import sys, swiftrotate.cli as cli\n"
              "sys.argv = ['swiftrotate'] + sys.argv[1:]\n"
              "try:\n    cli.main()\nfinally:\n"
              "    print(sorted(m for m in sys.modules if m.split('.')[0] in\n"
              "                 ('swiftclient', 'keystoneclient', 'keystoneauth1') and sys.modules[m]))\n")
    proc = subprocess.run([sys.executable, "-c", script, "--config", cfg, "upload", str(tmp_path / "logs/app.log")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    loaded = {name.split(".")[0] for name in eval(proc.stdout.strip().splitlines()[-1])}
    assert loaded == {"swiftclient"}  # it did upload through swiftclient, without keystone

