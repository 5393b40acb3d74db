"""No secret is ever shown: refused Swift keys, S3 secrets, tokens and URL
credentials, from the config file or the environment, even with --debug."""
import pytest

from tests.support.cliconfig import base_config, swift_config
from tests.support.clirun import rotated, run_cli, write_config

CANARY = "canary-secret-5f1e2d"


def test_bad_credentials_exit_77_and_never_show_the_secret(tmp_path, swift_server):
    rotated(tmp_path / "logs", "app.log-20261125", b"x\n")
    cfg = swift_config(tmp_path, swift_server.auth_url, key=CANARY, retries="0")
    line = next(n for n, text in enumerate(open(cfg), 1) if text.startswith("key"))
    for extra in ([], ["--debug"]):
        proc = run_cli("--config", cfg, *extra, "upload", str(tmp_path / "logs/app.log"))
        assert proc.returncode == 77, proc.stderr
        assert "authorization failed" in proc.stderr
        # issue 14: the hint named ST_USER/ST_KEY, but the key came from the file
        assert f"(check the credentials: key from {cfg}, line {line})" in proc.stderr, proc.stderr
        assert CANARY not in proc.stdout + proc.stderr
        assert "Traceback" not in proc.stderr or extra


def test_canary_in_env_never_appears(tmp_path, swift_server):
    rotated(tmp_path / "logs", "app.log-20261125", b"x\n")
    cfg = write_config(tmp_path / "c.conf", base_config(tmp_path, dest="swift://clitest"))
    env = {"ST_AUTH": swift_server.auth_url, "ST_USER": "test:tester", "ST_KEY": CANARY,
           "SWIFTROTATE_SWIFT_RETRIES": "0"}
    proc = run_cli("--config", cfg, "--debug", "-v", "upload", str(tmp_path / "logs/app.log"), env=env)
    assert proc.returncode == 77
    assert CANARY not in proc.stdout + proc.stderr
    assert "check the credentials: ST_USER/ST_KEY from the environment" in proc.stderr, proc.stderr
    env = dict(env, SWIFTROTATE_SWIFT_KEY=CANARY + "x", SWIFTROTATE_SWIFT_USER="test:tester")
    proc = run_cli("--config", cfg, "upload", str(tmp_path / "logs/app.log"), env=env)
    assert proc.returncode == 77 and "check the credentials: key from SWIFTROTATE_SWIFT_KEY" in proc.stderr


@pytest.mark.parametrize("where", ["config", "env"])
def test_s3_secret_never_appears(tmp_path, swift_server, where):
    """A refused S3 secret (config file or AWS_SECRET_ACCESS_KEY), with
    --debug -v: exit 77, and the canary is nowhere in the output."""
    rotated(tmp_path / "logs", "app.log-20261125", b"x\n")
    cfg = base_config(tmp_path, dest="s3://clitest")
    cfg["s3"] = {"endpoint_url": swift_server.endpoint, "region": "us-east-1", "retries": "0"}
    env = {"AWS_ACCESS_KEY_ID": "test:tester"}
    if where == "config":
        cfg["s3"].update(access_key_id="test:tester", secret_access_key=CANARY)
    else:
        env["AWS_SECRET_ACCESS_KEY"] = CANARY
    proc = run_cli("--config", write_config(tmp_path / "c.conf", cfg), "--debug", "-v", "upload",
                   str(tmp_path / "logs/app.log"), env=env)
    assert proc.returncode == 77, proc.stderr
    assert CANARY not in proc.stdout + proc.stderr
    source = (f"secret_access_key from {tmp_path / 'c.conf'}, line" if where == "config"
              else "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY from the environment")
    assert f"check the credentials: {source}" in proc.stderr, proc.stderr


def test_swift_token_and_url_credentials_never_appear(tmp_path, swift_server):
    """OS_AUTH_TOKEN refused (77), and a store URL written with user:secret@
    (78): neither secret is echoed, not even with --debug."""
    rotated(tmp_path / "logs", "app.log-20261125", b"x\n")
    cfg = write_config(tmp_path / "c.conf", base_config(tmp_path, dest="swift://clitest"))
    env = {"OS_STORAGE_URL": swift_server.auth_url.replace("/auth/v1.0", "/v1/AUTH_test"),
           "OS_AUTH_TOKEN": CANARY, "OS_AUTH_URL": swift_server.auth_url,
           "SWIFTROTATE_SWIFT_RETRIES": "0"}
    proc = run_cli("--config", cfg, "--debug", "-v", "upload", str(tmp_path / "logs/app.log"), env=env)
    assert proc.returncode == 77, proc.stderr
    assert CANARY not in proc.stdout + proc.stderr
    for url in (f"tester:{CANARY}@clitest", f"swift://tester:{CANARY}@clitest"):
        proc = run_cli("--config", cfg, "--debug", "--dest", url, "upload", str(tmp_path / "logs/app.log"))
        assert proc.returncode == 78, proc.stderr
        assert CANARY not in proc.stdout + proc.stderr

