"""A store that is down, stalled, busy or slow: bounded waits, retries, the
--deadline, and insecure TLS said out loud."""

import pytest

from tests.support.cliconfig import base_config, swift_config
from tests.support.clirun import rotated, run_cli, write_config
from tests.support.servers import FaultProxy, free_port


@pytest.mark.parametrize("kind", ["swift", "s3"])
@pytest.mark.parametrize("host,cause", [("127.0.0.1:{port}", "connection refused"),
                                        ("nowhere.invalid", "the host name does not resolve (DNS)")])
def test_unreachable_endpoint_exits_75_naming_the_endpoint_and_the_cause(tmp_path, kind, host, cause):
    """Issue 14: Swift printed raw urllib3 text cut mid-error, S3 a bare
    EndpointConnectionError without the URL."""
    rotated(tmp_path / "logs", "app.log-20261125", b"x\n")
    endpoint = "http://" + host.format(port=free_port())  # nothing listens there
    if kind == "swift":
        cfg = swift_config(tmp_path, f"{endpoint}/auth/v1.0", retries="0", connect_timeout="2")
    else:
        cfg = write_config(tmp_path / "c.conf", dict(base_config(tmp_path, dest="s3://logs"), s3={
            "endpoint_url": endpoint, "region": "us-east-1", "access_key_id": "a", "secret_access_key": "b",
            "retries": "0", "connect_timeout": "2"}))
    proc = run_cli("--config", cfg, "upload", str(tmp_path / "logs/app.log"))
    assert proc.returncode == 75, proc.stderr
    assert f": cannot reach {endpoint}: {cause} (check " in proc.stderr, proc.stderr
    assert proc.stderr.count("\n") <= 3 and "Traceback" not in proc.stderr
    assert (tmp_path / "logs/app.log-20261125").exists()
    assert proc.seconds < 60  # a hang guard, not a speed claim


def test_stalled_server_is_bounded_by_the_read_timeout(tmp_path, swift_server):
    rotated(tmp_path / "logs", "app.log-20261125", b"x\n")
    with FaultProxy(("127.0.0.1", swift_server.proxy_port)) as proxy:
        proxy.mode = "stall"
        cfg = swift_config(tmp_path, proxy.url_for("/auth/v1.0"), retries="0", read_timeout="2")
        proc = run_cli("--config", cfg, "upload", str(tmp_path / "logs/app.log"))
    assert proc.returncode == 75, proc.stderr
    assert f"cannot reach {proxy.url_for('')}: no answer within read_timeout" in proc.stderr, proc.stderr
    assert proc.seconds < 60  # a hang guard, not a speed claim


def test_503_burst_is_retried_and_archives_once(tmp_path, swift_server):
    rotated(tmp_path / "logs", "app.log-20261125", b"x\n")
    with FaultProxy(("127.0.0.1", swift_server.proxy_port)) as proxy:
        cfg = swift_config(tmp_path, proxy.url_for("/auth/v1.0"), retries="3", backoff="0.1")
        proxy.status_code, proxy.status_count = 503, 2
        proxy.mode = "status"
        proc = run_cli("--config", cfg, "upload", "-v", str(tmp_path / "logs/app.log"))
    assert proc.returncode == 0, proc.stderr
    assert "1 uploaded" in proc.stderr


def test_deadline_stops_cleanly_with_75(tmp_path, swift_server):
    """500 sequential uploads cannot fit in one second here: the run stops
    starting new ones, exits 75, and what is left stays local."""
    from datetime import date, timedelta

    for n in range(500):
        rotated(tmp_path / "logs", f"app.log-{date(2020, 1, 1) + timedelta(days=n):%Y%m%d}", b"x" * 100)
    cfg = swift_config(tmp_path, swift_server.auth_url, retries="0")
    proc = run_cli("--config", cfg, "upload", "-j", "1", "--deadline", "1", str(tmp_path / "logs/app.log"))
    assert proc.returncode == 75, proc.stderr[-2000:]
    assert "deadline of 1s reached" in proc.stderr
    assert len(list((tmp_path / "logs").iterdir())) == 500
    again = run_cli("--config", cfg, "upload", str(tmp_path / "logs/app.log"))
    assert again.returncode == 0, again.stderr[-2000:]  # the next run finishes the job


def test_turning_tls_verification_off_is_said_out_loud(tmp_path):
    rotated(tmp_path / "logs", "app.log-20261125", b"x\n")
    cfg = swift_config(tmp_path, f"http://127.0.0.1:{free_port()}/auth/v1.0", retries="0", insecure="yes")
    proc = run_cli("--config", cfg, "upload", str(tmp_path / "logs/app.log"))
    assert "TLS certificate verification is OFF" in proc.stderr

