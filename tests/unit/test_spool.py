"""The spool keeps, beside each copy, the live log and dateformat the gate knew: the run that
drains it may know neither (under logrotate the gate took them from its stanza; the drain may be
another stanza's hook or the cron catch-up)."""
import logging
import os

from swiftrotate import spool
from swiftrotate.config import Settings
from swiftrotate.ledger import Ledger


def settings_for(tmp_path, **general):
    ini = tmp_path / "swiftrotate.conf"
    lines = [f"{k} = {v}" for k, v in {"dest": f"file://{tmp_path / 'store'}", "host": "web01",
                                          "spool_dir": str(tmp_path / "spool"), **general}.items()]
    ini.write_text("[swiftrotate]\n" + "\n".join(lines) + "\n")
    return Settings(str(ini), environ={})


def test_a_spooled_copy_drains_under_the_gates_log_and_stamp_whatever_the_drainer_knows(tmp_path):
    old = tmp_path / "a" / "old"
    old.mkdir(parents=True)
    rotated = old / "x.log.2026-12-01"
    rotated.write_bytes(b"lines\n")
    ledger = Ledger(str(tmp_path / "ledger.sqlite"))
    gate = settings_for(tmp_path, olddir="old", dateformat=".%Y-%m-%d")  # as the gate's stanza said
    assert spool.spool(gate, ledger, str(rotated), os.stat(rotated), "the store is down",
                       logging.getLogger("test")) == spool.ALLOW
    drainer = settings_for(tmp_path)  # no olddir, the default dateformat
    (cand, key), = spool.spool_candidates(drainer, ledger)
    assert cand.live == str(tmp_path / "a" / "x.log")
    assert key == f"web01{tmp_path}/a/x.log.2026-12-01"
    # a ledger rebuilt from scratch: the ORIGIN file alone still says it
    (cand, key), = spool.spool_candidates(drainer, Ledger(str(tmp_path / "new.sqlite")))
    assert key == f"web01{tmp_path}/a/x.log.2026-12-01"


def test_an_origin_file_of_the_old_form_still_drains(tmp_path):
    folder = tmp_path / "spool"
    folder.mkdir()
    copy = folder / "1-x.log-20261201"
    copy.write_bytes(b"lines\n")
    (folder / "1-x.log-20261201.origin").write_bytes(os.fsencode(str(tmp_path / "x.log-20261201")))
    (cand, key), = spool.spool_candidates(settings_for(tmp_path), Ledger(str(tmp_path / "l.sqlite")))
    assert key == f"web01{tmp_path}/x.log-20261201" and cand.path == str(copy)


def test_a_spooled_extension_rotation_drains_under_the_logs_key_whatever_the_drainer_knows(tmp_path):
    """logrotate's `extension .log`: the gate spooled app-20261201.log.gz; the drain, without the
    stanza, still archives it as app.log's rotation (the extension is in the ORIGIN file)."""
    rotated = tmp_path / "app-20261201.log.gz"
    rotated.write_bytes(b"lines\n")
    ledger = Ledger(str(tmp_path / "ledger.sqlite"))
    gate = settings_for(tmp_path, extension=".log")
    assert spool.spool(gate, ledger, str(rotated), os.stat(rotated), "the store is down",
                       logging.getLogger("test")) == spool.ALLOW
    for drained_with in (ledger, Ledger(str(tmp_path / "new.sqlite"))):
        (cand, key), = spool.spool_candidates(settings_for(tmp_path), drained_with)
        assert (cand.live, key) == (str(tmp_path / "app.log"), f"web01{tmp_path}/app.log-20261201.gz")
