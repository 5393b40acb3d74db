"""The config the CLI tests start from: a local store in the test's tmp_path
(base_config), or the Swift container `clitest` (swift_config). Builds dicts
and files only; running the command is clirun's."""
from .clirun import write_config


def base_config(tmp_path, **general):
    # dest explicit, at the default place: an implicit dest warns on every run (tested on its own)
    general = {"dest": "file://" + str(tmp_path / "state/archive"), **general}
    return {"swiftrotate": {"state_dir": str(tmp_path / "state"), "host": "web01", "settle_seconds": "0",
                            **general}}


def swift_config(tmp_path, auth_url, key="testing", **swift):
    cfg = base_config(tmp_path, dest="swift://clitest")
    cfg["swift"] = {"auth_url": auth_url, "user": "test:tester", "key": key, **swift}
    return write_config(tmp_path / "swiftrotate.conf", cfg)
