"""`swiftrotate fetch` on every store: ranges, hosts, verification, safety."""
import gzip
import hashlib
import json
import os
import uuid


from tests.support.clirun import run_cli, write_config
from tests.support.stores import config_for
from swiftrotate.backends.local import LocalBackend

LOG = "/var/log/nginx/access.log"
MIB = 1024 * 1024


def put(store, tmp_path, key, data):
    src = tmp_path / ("src-" + uuid.uuid4().hex)
    src.write_bytes(data)
    store.backend.put(key, str(src), size=len(data), sha256=hashlib.sha256(data).hexdigest())
    src.unlink()


def day_lines(host, day):
    return f"{host} lines of 2026-11-{day:02d}\n".encode() * 3


def archive_days(store, tmp_path, host="web01", days=range(1, 11), log=LOG, gz_every=2):
    """Stamps 20261101..; every other one gzipped, as delaycompress leaves them."""
    originals = {}
    for day in days:
        data = day_lines(host, day)
        gz = day % gz_every == 0
        key = f"{host}{log}-202611{day:02d}" + (".gz" if gz else "")
        put(store, tmp_path, key, gzip.compress(data, mtime=0) if gz else data)
        originals[day] = data
    return originals


def listed(proc):
    return [json.loads(line) for line in proc.stdout.splitlines()]


def test_range_edges_by_stamp_and_content_day(store, tmp_path):
    archive_days(store, tmp_path)
    cfg = config_for(store, tmp_path)
    exact = run_cli("--config", cfg, "fetch", LOG, "--since", "2026-11-03", "--until", "Nov 5 2026",
                    "--by-stamp", "--list", "--json")
    assert exact.returncode == 0, exact.stderr
    assert [i["stamp"] for i in listed(exact)] == ["-20261103", "-20261104", "-20261105"]
    widened = run_cli("--config", cfg, "fetch", LOG, "--since", "2026/11/03", "--until", "2026-11-05",
                      "--list", "--json")
    assert [i["stamp"] for i in listed(widened)] == ["-20261103", "-20261104", "-20261105", "-20261106"]
    assert "stamped 2026-11-03..2026-11-06" in widened.stderr  # and it says so


def test_dateyesterday_declared_in_config_is_not_widened(store, tmp_path):
    archive_days(store, tmp_path)
    cfg = config_for(store, tmp_path, sections_extra={f"log {LOG}": {"dateyesterday": "yes"}})
    proc = run_cli("--config", cfg, "fetch", LOG, "--since", "2026-11-03", "--until", "2026-11-05",
                   "--list", "--json")
    assert [i["stamp"] for i in listed(proc)] == ["-20261103", "-20261104", "-20261105"]


def test_hourly_stamps(store, tmp_path):
    for day in (2, 3, 4):
        for hour in range(0, 24, 6):
            put(store, tmp_path, f"web01{LOG}-202611{day:02d}{hour:02d}", b"h\n")
    cfg = config_for(store, tmp_path, dateformat="-%Y%m%d%H")
    proc = run_cli("--config", cfg, "fetch", LOG, "--since", "2026-11-03", "--until", "2026-11-03",
                   "--by-stamp", "--list", "--json")
    assert [i["stamp"] for i in listed(proc)] == [f"-20261103{h:02d}" for h in range(0, 24, 6)]


def test_several_hosts_and_globs(store, tmp_path):
    for host in ("web01", "web02", "db01"):
        archive_days(store, tmp_path, host=host, days=[3])
    cfg = config_for(store, tmp_path)
    args = ("--config", cfg, "fetch", LOG, "--since", "2026-11-03", "--until", "2026-11-03", "--by-stamp",
            "--list", "--json")
    assert {i["host"] for i in listed(run_cli(*args, "--host", "web*"))} == {"web01", "web02"}
    assert {i["host"] for i in listed(run_cli(*args, "--host", "*"))} == {"web01", "web02", "db01"}
    assert {i["host"] for i in listed(run_cli(*args, "--host", "db01", "--host", "web02"))} == {"db01", "web02"}


def test_stdout_decompress_is_the_concatenation_in_date_order(store, tmp_path):
    originals = archive_days(store, tmp_path)
    cfg = config_for(store, tmp_path)
    proc = run_cli("--config", cfg, "fetch", LOG, "--since", "2026-11-02", "--until", "2026-11-07",
                   "--by-stamp", "--stdout", "--decompress", "-j", "3")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == b"".join(originals[d] for d in range(2, 8)).decode()


def test_parallel_download_to_folder_then_identical_skip_and_different_refused(store, tmp_path):
    archive_days(store, tmp_path)
    cfg = config_for(store, tmp_path)
    out = tmp_path / "out"
    first = run_cli("--config", cfg, "fetch", LOG, "-o", str(out), "-j", "4", "-v")
    assert first.returncode == 0, first.stderr
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert len(files) == 10 and files[0] == "web01/var/log/nginx/access.log-20261101"
    assert (out / "web01/var/log/nginx/access.log-20261102.gz").read_bytes() == gzip.compress(
        day_lines("web01", 2), mtime=0)
    again = run_cli("--config", cfg, "fetch", LOG, "-o", str(out), "-v")
    assert again.returncode == 0 and again.stderr.count("identical") == 10
    victim = out / "web01/var/log/nginx/access.log-20261101"
    victim.write_bytes(b"my notes\n")
    refused = run_cli("--config", cfg, "fetch", LOG, "-o", str(out))
    assert refused.returncode == 65 and "--overwrite" in refused.stderr
    assert victim.read_bytes() == b"my notes\n"
    forced = run_cli("--config", cfg, "fetch", LOG, "-o", str(out), "--overwrite")
    assert forced.returncode == 0 and victim.read_bytes() == day_lines("web01", 1)


def test_symlink_planted_in_output_is_not_followed(store, tmp_path):
    archive_days(store, tmp_path, days=[3])
    cfg = config_for(store, tmp_path)
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    os.symlink(elsewhere, out / "web01")
    proc = run_cli("--config", cfg, "fetch", LOG, "-o", str(out))
    assert proc.returncode == 65 and "symlink" in proc.stderr
    assert list(elsewhere.iterdir()) == []
    # and a symlink at the final file name
    os.unlink(out / "web01")
    final = out / "web01/var/log/nginx/access.log-20261103"
    final.parent.mkdir(parents=True)
    os.symlink(elsewhere / "target", final)
    proc = run_cli("--config", cfg, "fetch", LOG, "-o", str(out), "--overwrite")
    assert proc.returncode == 65, proc.stderr
    assert not (elsewhere / "target").exists()


def test_corrupted_object_fails_and_leaves_nothing(store, tmp_path):
    archive_days(store, tmp_path, days=[3, 4])
    store.corrupt(f"web01{LOG}-20261103", b"EVIL")
    cfg = config_for(store, tmp_path)
    out = tmp_path / "out"
    proc = run_cli("--config", cfg, "fetch", LOG, "-o", str(out))
    assert proc.returncode == 65, proc.stderr
    assert "sha256" in proc.stderr
    names = sorted(p.name for p in out.rglob("*") if p.is_file())
    assert names == ["access.log-20261104.gz"]  # the good one only, no temp file
    streamed = run_cli("--config", cfg, "fetch", LOG, "--stdout")
    assert streamed.returncode == 65 and "EVIL" not in streamed.stdout


def test_no_archives_in_range_is_66_and_names_the_nearest(store, tmp_path):
    archive_days(store, tmp_path, days=[3, 20])
    cfg = config_for(store, tmp_path)
    proc = run_cli("--config", cfg, "fetch", LOG, "--since", "2026-11-08", "--until", "2026-11-10")
    assert proc.returncode == 66
    assert "-20261103" in proc.stderr and "-20261120" in proc.stderr


def test_bad_dates_and_bad_log_are_usage_errors(store, tmp_path):
    cfg = config_for(store, tmp_path)
    assert run_cli("--config", cfg, "fetch", LOG, "--since", "the day after").returncode == 2
    assert run_cli("--config", cfg, "fetch", "var/log/x", "--list").returncode == 2
    assert run_cli("--config", cfg, "fetch", "/var/log/../../etc/x", "--list").returncode == 2


def local_config(tmp_path):
    """A config for a file:// store at tmp_path/store."""
    return write_config(tmp_path / "c.conf", {"swiftrotate": {"dest": f"file://{tmp_path / 'store'}",
                                                              "state_dir": str(tmp_path / "state"), "host": "web01"}})


def test_many_downloads_do_not_run_out_of_file_descriptors(tmp_path):
    """One descriptor per download was never closed: with `ulimit -n 64` a
    fetch of 120 archives died half-way."""
    import subprocess
    import sys

    store = LocalBackend(str(tmp_path / "store"))
    for n in range(120):
        src = tmp_path / "src"
        src.write_bytes(b"line %d\n" % n)
        day = f"2026{(n // 28) + 1:02d}{(n % 28) + 1:02d}"
        store.put(f"web01{LOG}-{day}", str(src), size=src.stat().st_size,
                  sha256=hashlib.sha256(src.read_bytes()).hexdigest())
    cfg = local_config(tmp_path)
    proc = subprocess.run(["sh", "-c", f"ulimit -n 64 && {sys.executable} -m swiftrotate --config {cfg} fetch {LOG} "
                           f"--since 2026-01-01 --until 2026-12-31 -o {tmp_path / 'out'}"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert len(list((tmp_path / "out").rglob("*-2026*"))) == 120


def test_full_disk_under_stdout_is_a_local_error_not_a_bad_archive(tmp_path):
    import subprocess
    import sys

    store = LocalBackend(str(tmp_path / "store"))
    src = tmp_path / "src"
    src.write_bytes(b"x" * (3 * MIB))
    store.put(f"web01{LOG}-20261101", str(src), size=3 * MIB, sha256=hashlib.sha256(src.read_bytes()).hexdigest())
    cfg = local_config(tmp_path)
    with open("/dev/full", "wb") as full:
        proc = subprocess.run([sys.executable, "-m", "swiftrotate", "--config", cfg, "fetch", LOG, "--since",
                               "2026-11-01", "--until", "2026-11-01", "--by-stamp", "--stdout"],
                              stdout=full, stderr=subprocess.PIPE, text=True, timeout=60)
    assert proc.returncode == 74, proc.stderr
    assert "No space left on device" in proc.stderr and "decompress" not in proc.stderr


def test_output_mistakes_are_named(tmp_path):
    """-o naming a file, a file in the way of a folder, --json without --list."""
    store = LocalBackend(str(tmp_path / "store"))
    src = tmp_path / "src"
    src.write_bytes(b"x\n")
    store.put(f"web01{LOG}-20261101", str(src), size=2, sha256=hashlib.sha256(b"x\n").hexdigest())
    cfg = local_config(tmp_path)
    args = ("--config", cfg, "fetch", LOG, "--since", "2026-11-01", "--until", "2026-11-01", "--by-stamp")
    (tmp_path / "afile").write_text("")
    proc = run_cli(*args, "-o", str(tmp_path / "afile"))
    assert proc.returncode == 2 and "is not a folder" in proc.stderr, proc.stderr
    (tmp_path / "out").mkdir()
    (tmp_path / "out/web01").write_text("in the way")
    proc = run_cli(*args, "-o", str(tmp_path / "out"))
    assert proc.returncode == 65 and "it is a file, not a folder" in proc.stderr, proc.stderr
    proc = run_cli(*args, "--json", cwd=str(tmp_path / "out"))
    assert proc.returncode == 0 and json.loads(proc.stdout.splitlines()[0])
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["web01"]  # nothing downloaded


def test_range_covers_the_finer_stamps_rename_gives(store, tmp_path):
    """Issue 14: after `rename`, two rotations of one day are stamped to the
    second (kern.log-20261127130000.gz) beside day stamps. fetch printed
    only the day-stamped files and exited 0; every archive in the range
    must come, in time order across both forms."""
    log = "/var/log/kern.log"
    names = {"-20261125.gz": "day 25\n", "-20261126.gz": "day 26\n", "-20261127000007.gz": "day 27 early\n",
             "-20261127130000.gz": "day 27 late\n", "-20261128": "day 28\n", "-20261130000001.gz": "day 30\n"}
    for stamp, text in names.items():
        data = gzip.compress(text.encode(), mtime=0) if stamp.endswith(".gz") else text.encode()
        put(store, tmp_path, f"web01{log}{stamp}", data)
    cfg = config_for(store, tmp_path)
    args = ("--config", cfg, "fetch", log, "--since", "2026-11-26", "--until", "2026-11-28", "--by-stamp")
    proc = run_cli(*args, "--stdout", "--decompress")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "day 26\nday 27 early\nday 27 late\nday 28\n"
    listing = listed(run_cli(*args, "--list", "--json"))
    assert [(i["stamp"], i["date"]) for i in listing] == [
        ("-20261126", "2026-11-26T00:00:00"), ("-20261127000007", "2026-11-27T00:00:07"),
        ("-20261127130000", "2026-11-27T13:00:00"), ("-20261128", "2026-11-28T00:00:00")]
    none = run_cli("--config", cfg, "fetch", log, "--since", "2026-11-29", "--until", "2026-11-29", "--by-stamp")
    assert none.returncode == 66 and "-20261128" in none.stderr and "-20261130000001" in none.stderr, none.stderr


def test_ls_and_fetch_name_a_container_that_does_not_exist(store, tmp_path):
    """ls printed nothing and exited 0, fetch said "none at all": a typo in
    the container (bucket, folder) name looked like an empty archive. Both
    name it, exit 66, and create nothing."""
    archive_days(store, tmp_path, days=[3])
    name = "m" + uuid.uuid4().hex[:16]
    kind = {"local": "folder", "swift": "container"}.get(store.target, "bucket")
    cfg = config_for(store, tmp_path, dest=store.url.rsplit("/", 1)[0] + "/" + name)
    for args in (["ls"], ["fetch", LOG, "--list"], ["fetch", LOG, "--stdout"], ["ls"]):
        proc = run_cli("--config", cfg, *args)
        assert proc.returncode == 66, (args, proc.stderr)
        assert f"{kind} {name}" in proc.stderr.replace(str(tmp_path) + "/", "") and "does not exist" in proc.stderr
        assert "none at all" not in proc.stderr and proc.stdout == ""
    there = run_cli("--config", config_for(store, tmp_path), "ls")
    assert there.returncode == 0 and f"web01{LOG}-20261103" in there.stdout


def test_globs_in_logs_match_the_archived_logs(store, tmp_path):
    """fetch refused the globs upload takes: '/var/log/nginx/*.log' now means
    every archived log there ('*' stays within a folder, as in a shell)."""
    for host, log in [("web01", "/var/log/nginx/access.log"), ("web01", "/var/log/nginx/error.log"),
                      ("web02", "/var/log/nginx/error.log"), ("web01", "/var/log/nginx/access.log.old"),
                      ("web01", "/var/log/nginx/sub/deep.log"), ("web01", "/var/log/syslog")]:
        archive_days(store, tmp_path, host=host, days=[3, 4], log=log)
    cfg = config_for(store, tmp_path)
    args = ("--config", cfg, "fetch", "/var/log/nginx/*.log", "--since", "2026-11-03", "--until", "2026-11-03",
            "--by-stamp")
    proc = run_cli(*args, "--list", "--json")
    assert proc.returncode == 0, proc.stderr
    assert [(i["host"], i["log"], i["stamp"]) for i in listed(proc)] == [
        ("web01", "/var/log/nginx/access.log", "-20261103"), ("web01", "/var/log/nginx/error.log", "-20261103")]
    every = listed(run_cli(*args, "--host", "*", "--list", "--json"))
    assert sorted((i["host"], i["log"]) for i in every) == [
        ("web01", "/var/log/nginx/access.log"), ("web01", "/var/log/nginx/error.log"),
        ("web02", "/var/log/nginx/error.log")]
    out = run_cli(*args, "--host", "web02", "--stdout")
    assert out.returncode == 0 and out.stdout == day_lines("web02", 3).decode(), out.stderr
    nothing = run_cli("--config", cfg, "fetch", "/var/log/nginx/*.lg", "--list")
    assert nothing.returncode == 66 and "/var/log/nginx/*.lg" in nothing.stderr, nothing.stderr


def test_none_at_all_names_the_hosts_that_have_the_log(store, tmp_path):
    """Run on another host (the default --host is this one), "none at all"
    was a dead end: it names the hosts whose archives hold this log."""
    for host in ("web01", "web02", "db01"):
        archive_days(store, tmp_path, host=host, days=[3], log=LOG if host != "db01" else "/var/log/other.log")
    cfg = config_for(store, tmp_path, host="bastion")
    proc = run_cli("--config", cfg, "fetch", LOG, "--list")
    assert proc.returncode == 66
    assert "none at all" in proc.stderr and "web01, web02" in proc.stderr and "db01" not in proc.stderr, proc.stderr
    alone = run_cli("--config", cfg, "fetch", "/var/log/never.log", "--list")
    assert alone.returncode == 66 and "on no host" in alone.stderr, alone.stderr


def test_progress_callback_sees_bytes_within_one_file(store, tmp_path):
    """The bar moved once per finished file (one big file sat at 0%): the
    core now reports bytes done while a single multi-chunk file arrives,
    into a folder and to a stream alike."""
    import io

    from swiftrotate.commands import fetch as core
    from swiftrotate.config import Settings, open_store

    size = 3 * MIB + 123
    put(store, tmp_path, f"web01{LOG}-20261103", os.urandom(size))
    settings = Settings(config_for(store, tmp_path))
    when = core.window(settings, [LOG], "2026-11-03", "2026-11-03", by_stamp=True)
    for target in ({"output": str(tmp_path / "out")}, {"stream": io.BytesIO()}):
        seen = []
        result = core.run(settings, [LOG], when, open_backend=lambda: open_store(settings, create=False),
                          on_progress=seen.append, **target)
        assert result.exit_code == 0 and len(result.plan.items) == 1
        assert any(0 < n < size for n in seen), seen
        assert seen == sorted(seen) and seen[-1] == size


def test_no_progress_bar_leaks_into_logs_and_pipes(store, tmp_path):
    """stderr not a terminal (cron, a pipe, these subprocesses): no bar."""
    archive_days(store, tmp_path, days=[3, 4])
    cfg = config_for(store, tmp_path)
    for extra in (["-o", str(tmp_path / "out")], ["--stdout", "--decompress"]):
        proc = run_cli("--config", cfg, "fetch", LOG, *extra)
        assert proc.returncode == 0, proc.stderr
        assert "\r" not in proc.stderr and "\x1b" not in proc.stderr and "ETA" not in proc.stderr, proc.stderr


def test_progress_bar_on_a_terminal_counts_bytes_with_stdout_too(tmp_path):
    """stderr a terminal: a byte-level bar (sizes, rate, ETA), with --stdout
    as with -o; stdout gets the bytes alone."""
    import pty
    import subprocess
    import sys
    import threading

    store = LocalBackend(str(tmp_path / "store"))
    data = os.urandom(3 * MIB)
    src = tmp_path / "src"
    src.write_bytes(data)
    store.put(f"web01{LOG}-20261101", str(src), size=len(data), sha256=hashlib.sha256(data).hexdigest())
    cfg = local_config(tmp_path)
    for extra in (["--stdout"], ["-o", str(tmp_path / "out")]):
        master, slave = pty.openpty()
        chunks = []

        def drain():
            while True:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: the child closed the terminal
                    return
                if not chunk:
                    return
                chunks.append(chunk)

        reader = threading.Thread(target=drain)
        reader.start()
        proc = subprocess.run([sys.executable, "-m", "swiftrotate", "--config", cfg, "fetch", LOG, "--since",
                               "2026-11-01", "--until", "2026-11-01", "--by-stamp", *extra],
                              stdout=subprocess.PIPE, stderr=slave, stdin=subprocess.DEVNULL, timeout=60)
        os.close(slave)
        reader.join(timeout=30)
        os.close(master)
        shown = b"".join(chunks).decode()
        assert proc.returncode == 0, shown
        assert "3.0 MiB / 3.0 MiB" in shown and "100%" in shown and "/s" in shown and "ETA" in shown, shown
        if extra == ["--stdout"]:
            assert proc.stdout == data


def test_a_host_or_log_named_exactly_with_nothing_in_range_is_66_after_fetching_the_rest(store, tmp_path):
    """Non-negotiable 2: never exit 0 with something asked for missing. A host
    reached by a glob may lack the range; one named exactly may not."""
    archive_days(store, tmp_path, host="web01", days=[3])
    archive_days(store, tmp_path, host="web02", days=[9])
    cfg = config_for(store, tmp_path)
    out = tmp_path / "case"
    args = ("--config", cfg, "fetch", LOG, "--since", "2026-11-03", "--until", "2026-11-03", "--by-stamp")
    proc = run_cli(*args, "--host", "web01", "--host", "web02", "-o", str(out))
    assert proc.returncode == 66, proc.stderr
    assert (out / f"web01{LOG}-20261103").read_bytes() == day_lines("web01", 3)  # the rest is fetched
    assert f"no archives of {LOG} on web02" in proc.stderr and "nearest after: -20261109" in proc.stderr
    assert "1 asked for by name had none in the range" in proc.stderr
    globbed = run_cli(*args, "--host", "web*", "--list", "--json")
    assert globbed.returncode == 0, globbed.stderr
    assert {i["host"] for i in listed(globbed)} == {"web01"}
    unmatched = run_cli(*args, "--host", "web01", "/var/log/nginx/nope*.log", "--list")
    assert unmatched.returncode == 66 and "matches /var/log/nginx/nope*.log" in unmatched.stderr


def test_a_key_of_the_log_no_stamp_form_reads_is_named_and_66_after_fetching_the_rest(store, tmp_path):
    """The one promise: never leave an archive out in silence. A stanza's -%d%m%Y is no form the
    config or the common set has, so the key's date is unknown: it may be in the range."""
    put(store, tmp_path, f"web01{LOG}-20261101", day_lines("web01", 1))
    put(store, tmp_path, f"web01{LOG}-02112026", day_lines("web01", 2))  # -%d%m%Y
    put(store, tmp_path, f"web01{LOG}-debug.log-20261103", b"another log's\n")  # access.log-debug.log's
    cfg = config_for(store, tmp_path)
    out = tmp_path / "out"
    proc = run_cli("--config", cfg, "fetch", LOG, "-o", str(out))
    assert proc.returncode == 66, proc.stderr
    assert (out / f"web01{LOG}-20261101").read_bytes() == day_lines("web01", 1)  # the rest is fetched
    assert f"no stamp form reads web01{LOG}-02112026 under {LOG} on web01" in proc.stderr
    assert "--dateformat" in proc.stderr and "debug" not in proc.stderr, proc.stderr
    told = run_cli("--config", cfg, "fetch", LOG, "--dateformat", "-%d%m%Y", "-o", str(out))
    assert told.returncode == 0, told.stderr
    assert (out / f"web01{LOG}-02112026").read_bytes() == day_lines("web01", 2)
    # a glob: a log whose every key is in that form is found by no form, and named
    put(store, tmp_path, "web01/var/log/nginx/error.log-03112026", b"error\n")
    globbed = run_cli("--config", cfg, "fetch", "/var/log/nginx/*.log", "--list")
    assert globbed.returncode == 66, globbed.stderr
    assert "no stamp form reads web01/var/log/nginx/error.log-03112026 under /var/log/nginx/*.log" in globbed.stderr
    assert f"web01{LOG}-02112026 under {LOG}" in globbed.stderr and f"web01{LOG}-20261101" in globbed.stdout
    # -%Y%m%d-%s: its seconds must not read as -%Y%m%d%H, a log "...-20261104" stamped 1796 or 2012
    put(store, tmp_path, f"web01{LOG}-20261104-1796010112", b"seconds\n")
    put(store, tmp_path, f"web01{LOG}-20261105-2012010112", b"seconds\n")
    seconds = run_cli("--config", cfg, "fetch", LOG, "--dateformat", "-%d%m%Y", "--list")
    assert seconds.returncode == 66, seconds.stderr
    assert f"no stamp form reads web01{LOG}-20261104-1796010112 and 1 more under {LOG}" in seconds.stderr
