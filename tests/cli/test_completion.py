"""Shell completion, which click provides and docs/install.md documents:
`eval "$(_SWIFTROTATE_COMPLETE=bash_source swiftrotate)"`, run in a real bash."""
import os
import pathlib
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture
def path_with_swiftrotate(tmp_path):
    """PATH with a `swiftrotate` that runs this checkout, as the completion
    script calls the command by name."""
    command = tmp_path / "swiftrotate"
    command.write_text(f'#!/bin/sh\nPYTHONPATH={REPO} exec {sys.executable} -m swiftrotate "$@"\n')
    command.chmod(0o755)
    return f"{tmp_path}:{os.environ['PATH']}"


def source(shell, path):
    env = {**os.environ, "PATH": path, "_SWIFTROTATE_COMPLETE": f"{shell}_source"}
    proc = subprocess.run(["swiftrotate"], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.mark.parametrize("shell, registers", [
    ("bash", "complete -o nosort -F _swiftrotate_completion swiftrotate"),
    ("zsh", "compdef _swiftrotate_completion swiftrotate"),
    ("fish", "complete --no-files --command swiftrotate"),
])
def test_source_prints_a_completion_script(path_with_swiftrotate, shell, registers):
    assert registers in source(shell, path_with_swiftrotate)


@pytest.mark.parametrize("words, expected", [
    ("swiftrotate up", ["upload"]),
    ("swiftrotate upload --comp", ["--compress"]),
    ("swiftrotate upload --compress ", ["gzip", "zstd"]),
])
def test_bash_completes_commands_options_and_choices(path_with_swiftrotate, words, expected):
    script = f"""
eval "$(_SWIFTROTATE_COMPLETE=bash_source swiftrotate)"
COMP_WORDS=({words}{" ''" if words.endswith(" ") else ""})
COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
_swiftrotate_completion swiftrotate
printf '%s\\n' "${{COMPREPLY[@]}}"
"""
    proc = subprocess.run(["bash", "-c", script], env={**os.environ, "PATH": path_with_swiftrotate},
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == expected
