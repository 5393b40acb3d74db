"""The README's first command ("Try it"), exactly as written, in a fresh
clone of HEAD: it must install, archive the bundled example logs and list
them, with no warning (dest is explicit there)."""
import os
import pathlib
import re
import subprocess

REPO = pathlib.Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p for p in (REPO / "examples/logs").rglob("*.log-*"))


def first_command(readme):
    block = re.search(r"```sh\n(.*?)\n```", readme, re.S)
    assert block, "the README has no sh block"
    return block.group(1).strip()


def test_the_readme_try_it_command_works_in_a_fresh_clone(tmp_path):
    command = first_command((REPO / "README.md").read_text())
    assert command.startswith("python3 -m venv .venv") and "--dest" in command
    src = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(REPO), str(src)], check=True, timeout=120)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SWIFTROTATE_", "VIRTUAL_ENV", "PYTHON"))}
    proc = subprocess.run(["bash", "-c", "set -euo pipefail; " + command], cwd=src, env=env, capture_output=True,
                          text=True, timeout=600, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert EXAMPLES, "no example logs"
    listed = [line.split()[-1] for line in proc.stdout.splitlines()]
    for path in EXAMPLES:
        rel = str(src / path.relative_to(REPO)).lstrip("/")
        assert any(entry.endswith(rel) for entry in listed), (rel, proc.stdout)
    messages = [line for line in proc.stderr.splitlines() if line.startswith("swiftrotate:")]
    assert not [m for m in messages if "warning" in m or "no dest" in m or "error" in m], messages
    stored = [p for p in (src / "demo/archive").rglob("*") if p.is_file() and not p.name.endswith(".srmeta")]
    assert len(stored) == len(EXAMPLES), stored
