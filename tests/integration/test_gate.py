"""The preremove gate under real logrotate: an outage longer than `rotate 2`
loses no line, the live log keeps rotating, compression cleanup is not
blocked, a full spool vetoes. Without the gate the same outage loses lines:
that test documents the hole every other tool has."""
import uuid

import pytest

from tests.support.clirun import write_config
from tests.support.lrlab import Lab, content
from tests.support.servers import FaultProxy
from tests.support.stores import behind_proxy
from swiftrotate.naming import unit_id

DAYS = [f"2026-11-{d:02d} 00:10:00" for d in range(1, 10)]
OUTAGE = range(3, 7)  # four days down, with rotate 2


@pytest.fixture(params=["swift", "s3"])
def gate_lab(request, tmp_path, swift_server):
    """The lab on Swift, or on S3 (Swift's s3api), behind a proxy that can refuse."""
    name = "gate" + uuid.uuid4().hex[:10]
    proxy = FaultProxy(("127.0.0.1", swift_server.proxy_port))
    dest, section, backend = behind_proxy(request.param, swift_server, proxy, name)

    def make(**general):
        cfg = write_config(tmp_path / "swiftrotate.conf", {
            "swiftrotate": {"dest": dest, "state_dir": str(tmp_path / "state"),
                            "host": "web01", "settle_seconds": "0", "spool_dir": str(tmp_path / "spool"),
                            **general}, **section})
        return Lab(tmp_path / "lab", cfg, logs=("app.log",))

    yield make, proxy, backend
    backend.close()
    proxy.close()


def archived_lines(backend):
    lines, keys = [], [o.key for o in backend.list()]
    assert len(keys) == len({unit_id(k) for k in keys}), keys  # one object per unit
    for key in keys:
        lines += content(b"".join(backend.open_read(key)[1]), key).decode().splitlines(True)
    return lines


def days_down(lab, proxy, days):
    """Write and rotate each of `days` with the store unreachable."""
    proxy.mode = "refuse"
    for day in days:
        lab.write_lines(day)
        lab.run(day)


def run_outage(lab, proxy, days=DAYS):
    lab.days(days[:2])
    for i, day in enumerate(days[2:], start=3):
        proxy.mode = "refuse" if i in OUTAGE else "pass"
        lab.write_lines(day)
        lab.run(day)
    proxy.mode = "pass"


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "compress"])
def test_outage_longer_than_rotate_loses_no_line(gate_lab, compress):
    make, proxy, backend = gate_lab
    lab = make()
    lab.configure(["compress"] if compress else [], rotate=2, gate=True)
    run_outage(lab, proxy)
    gone = lab.rotated_away("app.log")
    assert sorted(archived_lines(backend)) == sorted(gone), lab.hook_output()
    # the live log kept rotating through the outage: it holds only the last day
    assert all(DAYS[-1] in line for line in lab.live_lines("app.log"))
    spool = lab.root.parent / "spool"
    assert not spool.exists() or not list(spool.iterdir())  # the spool drained after recovery
    if not compress:
        assert "gate: spooled" in lab.hook_output()


def test_without_the_gate_the_same_outage_loses_lines(gate_lab):
    make, proxy, backend = gate_lab
    lab = make()
    lab.configure([], rotate=2, gate=False)
    run_outage(lab, proxy)
    gone = lab.rotated_away("app.log")
    lost = set(gone) - set(archived_lines(backend))
    assert lost, "expected logrotate to delete unarchived files during the outage"


def test_compression_cleanup_is_not_blocked(gate_lab):
    make, proxy, backend = gate_lab
    lab = make()
    lab.configure(["compress"], rotate=5, gate=True)
    lab.days(DAYS[:4])
    assert all(p.returncode == 0 for p in lab.results), lab.hook_output()
    names = sorted(p.name for p in lab.rotated_files())
    assert names and all(n.endswith(".gz") for n in names), names  # no uncompressed original left


def test_full_spool_vetoes(gate_lab):
    make, proxy, backend = gate_lab
    lab = make(spool_cap="1")
    lab.configure([], rotate=1, gate=True)
    lab.days(DAYS[:2])
    days_down(lab, proxy, DAYS[2:5])
    assert "spool" in lab.hook_output() and "is full" in lab.hook_output()
    proxy.mode = "pass"
    lab.write_lines(DAYS[5])
    lab.run(DAYS[5])
    gone = lab.rotated_away("app.log")
    on_disk = [line for p in lab.rotated_files() for line in p.read_text().splitlines(True)]
    # nothing lost: every line that left the live log is archived or still on disk
    assert set(gone) <= set(archived_lines(backend)) | set(on_disk)


def test_spooled_logs_survive_a_ledger_rebuilt_from_scratch(gate_lab):
    """The ledger's spool rows are lost (corrupt ledger moved aside) while
    logs sit in the spool: each spooled copy's .origin file still leads the
    next upload to archive it under its original name."""
    make, proxy, backend = gate_lab
    lab = make()
    lab.configure([], rotate=2, gate=True)
    lab.days(DAYS[:2])
    days_down(lab, proxy, DAYS[2:7])
    assert "gate: spooled" in lab.hook_output()
    spool = lab.root.parent / "spool"
    assert any(spool.glob("*.origin"))
    (lab.root.parent / "state/ledger.sqlite").write_bytes(b"not a database" * 100)
    proxy.mode = "pass"
    for day in DAYS[7:]:
        lab.write_lines(day)
        lab.run(day)
    gone = lab.rotated_away("app.log")
    assert sorted(archived_lines(backend)) == sorted(gone), lab.hook_output()
    assert not list(spool.iterdir())  # drained, .origin files included
