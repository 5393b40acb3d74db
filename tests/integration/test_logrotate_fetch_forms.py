"""Under real logrotate (Debian 3.21, faked days or hours), the plain hook archives with the stanza's
own dateformat; `fetch` and `ls --log` on a machine whose config has no dateformat (a workstation,
no stanza) still bring back every rotation, byte for byte: stamps are read with the config's forms,
then the common ones (naming.reading_formats)."""
import gzip

import pytest

from tests.support.clirun import run_cli, write_config
from tests.support.lrlab import Lab

DAYS = ["2026-12-01 00:10:00", "2026-12-02 00:10:00", "2026-12-03 00:10:00", "2026-12-04 00:10:00"]
HOURS = ["2026-12-01 00:10:00", "2026-12-01 01:10:00", "2026-12-01 02:10:00", "2026-12-01 03:10:00"]
CASES = {  # stanza directives, faked times, stamp shape, the days to fetch
    "daily": (["compress", "dateformat .%Y-%m-%d"], DAYS, ".2026-12-0", ("2026-12-01", "2026-12-04")),
    "hourly": (["hourly", "dateformat -%Y%m%d%H"], HOURS, "-20261201", ("2026-12-01", "2026-12-01")),
}


@pytest.mark.parametrize("case", CASES)
def test_fetch_and_ls_read_the_stanzas_dateformat_that_the_config_lacks(tmp_path, case):
    directives, times, shape, (since, until) = CASES[case]
    hook_cfg = write_config(tmp_path / "hook.conf", {"swiftrotate": {
        "dest": f"file://{tmp_path / 'store'}", "state_dir": str(tmp_path / "state"), "host": "web01",
        "settle_seconds": "0"}})
    lab = Lab(tmp_path / "lab", hook_cfg)
    lab.configure(directives)  # the hook line: swiftrotate upload "$1", nothing else
    lab.days(times)
    assert [p.returncode for p in lab.results] == [0] * len(times), [p.stderr for p in lab.results]
    store = tmp_path / "store"
    # the workstation: another config, no dateformat, no stanza, no ledger
    cfg = write_config(tmp_path / "workstation.conf", {"swiftrotate": {
        "dest": f"file://{store}", "state_dir": str(tmp_path / "ws-state"), "host": "ws"}})
    for name in lab.logs:
        log = str(lab.logs_dir / name)
        archived = sorted(p for p in store.rglob(name + "*") if p.is_file() and not p.name.endswith(".srmeta"))
        assert len(archived) == len(times) - 1, (sorted(store.rglob("*")), lab.hook_output())
        assert all(p.name[len(name):].startswith(shape) for p in archived), archived
        out = tmp_path / "out" / name
        proc = run_cli("--config", cfg, "fetch", "--host", "web01", log, "--since", since, "--until", until,
                       "--by-stamp", "-o", str(out))
        assert proc.returncode == 0, proc.stderr
        fetched = sorted(p for p in out.rglob("*") if p.is_file())
        assert [p.relative_to(out) for p in fetched] == [p.relative_to(store) for p in archived], proc.stderr
        assert all(a.read_bytes() == b.read_bytes() for a, b in zip(fetched, archived))
        text = b"".join(gzip.decompress(p.read_bytes()) if p.name.endswith(".gz") else p.read_bytes()
                        for p in fetched)
        assert text.decode() == "".join(lab.rotated_away(name))
        listed = run_cli("--config", cfg, "ls", "--host", "web01", "--log", log, "--since", since,
                         "--until", until, "--by-stamp")
        assert listed.returncode == 0, listed.stderr
        lines = listed.stdout.splitlines()
        assert [line.split()[-1] for line in lines] == [str(p.relative_to(store)) for p in archived], lines
        assert all(line.split()[1].startswith("2026-12-0") for line in lines), lines
