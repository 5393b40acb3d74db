"""Which log a rotated file belongs to, for `status` and the run records, under logrotate's
`extension`: app.log rotates to app-20261102.log[.gz] (the stamp inside the name)."""
from swiftrotate import health, runs
from swiftrotate.config import Settings


def settings(tmp_path, **values):
    return Settings(None, environ={"SWIFTROTATE_" + k.upper(): v for k, v in
                                   dict(spool_dir=str(tmp_path / "spool"), **values).items()})


def test_rotation_of_reads_the_stamp_inside_the_name(tmp_path):
    under = settings(tmp_path, extension=".log")
    assert health.rotation_of(under, "/var/log/app-20261102.log.gz") == ("/var/log/app.log", "-20261102")
    assert health.rotation_of(under, "/var/log/app.log-20261102") == ("/var/log/app.log", "-20261102")
    assert health.rotation_of(settings(tmp_path), "/var/log/app.log-20261102.gz") == ("/var/log/app.log", "-20261102")


def test_the_run_records_owner_of_an_extension_rotation_is_the_log_of_that_extension(tmp_path):
    """/var/log/app (no extension) must not take app.log's app-20261102.log.gz, nor read its
    stamp as -20261102.log."""
    under = settings(tmp_path, extension=".log")
    owners = runs._Owners(under, ["/var/log/app", "/var/log/app.log"])
    assert owners.of("/var/log/app-20261102.log.gz") == ("/var/log/app.log", "-20261102")
    assert owners.of("/var/log/app.log-20261102") == ("/var/log/app.log", "-20261102")
    assert owners.of("/var/log/app-20261102") == ("/var/log/app", "-20261102")


def test_a_spooled_extension_copy_is_its_logs(tmp_path):
    under = settings(tmp_path, extension=".log")
    owners = runs._Owners(under, ["/var/log/app.log", "/var/log/web.log"])
    spooled = str(tmp_path / "spool/1796526380741505-app-20261101.log")
    assert owners.of(spooled) == ("/var/log/app.log", "-20261101")
