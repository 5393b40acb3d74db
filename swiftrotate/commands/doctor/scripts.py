"""What `swiftrotate doctor` reads in a logrotate script (postrotate, lastaction, ...): its simple
commands with their lines and the operators between them, which of them run swiftrotate, and
what in the script can skip the hook or lose its exit status.

Why it matters: logrotate 3.21 runs a script as `/bin/sh -c SCRIPT logrotate_script $1 [$2]`,
with no `-e` (measured with `logrotate -f`: after a failing `false` the next line still runs,
and the script's status is that of its last command). So only `exit`, `exec`, `set -e`, a `.`
that cannot read its file (dash then ends the script), `&&` and `||` skip a later hook, and a
hook that is not the last command has its exit status thrown away.

A linter's reading, not a shell: quotes, backslashes, comments, `;` `&&` `||` `|` `&`, line
ends and here-documents (`<<`, `<<-`, quoted terminators: the body is text, not commands; a
terminator that is not alone at the start of its line closes nothing, so the rest of the script is
body, as dash reads it); no expansion. Must not: do I/O or import anything of swiftrotate's.
"""
import os
from dataclasses import dataclass

OPERATORS = ("&&", "||", ";", "|", "&", "\n")
# words that only open or close a compound command: never a command of their own
KEYWORDS = {"then", "else", "elif", "fi", "do", "done", "esac", "{", "}", "(", ")", "if", "while", "until", "!"}
# words that run the next word as the command
PREFIXES = {"exec", "nice", "ionice", "timeout", "env", "command", "nohup", "flock", "chronic", "setsid"}


@dataclass(frozen=True)
class Command:
    line: int  # the config file's line where the command starts
    text: str  # as written, one line (continuations joined)
    words: tuple  # quotes removed, the compound keywords in front dropped
    before: str  # the operator before it ("" at the start)
    after: str  # the operator after it ("\n" at the end)


def commands(script, first_line):
    """The simple commands of `script`, whose text starts on `first_line` of the config."""
    return _Splitter(script, first_line).run()


def unclosed_heredoc(script, first_line):
    """(line of the `<<`, its terminator, the line its body starts on) for a here-document that
    runs to the end of the script, so that nothing after it runs; else None."""
    splitter = _Splitter(script, first_line)
    splitter.run()
    return splitter.unclosed


class _Splitter:
    """One pass over a script: the word being read, the command's words and text, the quote."""

    def __init__(self, script, first_line):
        self.s, self.out, self.word, self.words, self.text, self.quote = script, [], None, [], "", ""
        self.line = self.start = first_line
        self.before = ""
        self.pending, self.unclosed = [], None  # here-documents whose bodies follow this line

    def run(self):
        s, i = self.s, 0
        while i < len(s):
            i = self.step(s[i], i) + 1
        self.end("\n")
        return self.out

    def step(self, c, i):
        """Read the character at i; return the index of the last character used."""
        s = self.s
        if self.quote:
            self.in_quote(c, i)
            return i + (c == "\\" and self.quote == '"' and i + 1 < len(s) and s[i + 1] == '"')
        if c == "\\" and s[i + 1:i + 2] == "\n":  # a continued line
            self.line += 1
            return i + 1
        if c == "\\":
            self.add(s[i + 1:i + 2], s[i:i + 2])
            return i + 1
        if c in "'\"":
            self.add("", c)
            self.quote = c
        elif s[i:i + 3] == "<<<":  # a here-string: no body
            self.add(c * 3, c * 3)
            return i + 2
        elif s[i:i + 2] == "<<" and self.text.count("((") <= self.text.count("))"):  # not $((x << 2))
            return self.heredoc(i)
        elif c == "#" and self.word is None:  # a comment: to the end of the line
            j = s.find("\n", i)
            return (len(s) if j < 0 else j) - 1
        elif c in " \t":
            if self.word is not None:
                self.words.append(self.word)
                self.word = None
            self.text += c
        elif c in ";&|\n" and not (c == "&" and self.text[-1:] in "<>" and self.text):  # not 2>&1
            op = s[i:i + 2] if s[i:i + 2] in ("&&", "||", ";;") else c
            self.end(op)
            self.line += c == "\n"
            if c == "\n" and self.pending:
                i = self.bodies(i + 1) - 1
            self.start = self.line
            return i + len(op) - 1
        else:
            self.add(c, c)
        return i

    def heredoc(self, i):
        """`<<[-]WORD` at i: its terminator is WORD less quotes and backslashes; its body starts
        after this line. Returns the index of the last character of WORD."""
        s, j = self.s, i + 2
        strip = s[j:j + 1] == "-"
        j += strip
        while s[j:j + 1] in (" ", "\t"):
            j += 1
        k, quote, word = j, "", ""
        while k < len(s) and (quote or s[k] not in " \t\n;&|<>()"):
            if s[k] == quote:
                quote = ""
            elif not quote and s[k] in "'\"":
                quote = s[k]
            elif not quote and s[k] == "\\" and k + 1 < len(s):
                k += 1
                word += s[k]
            else:
                word += s[k]
            k += 1
        self.add(s[i:k], s[i:k])
        self.pending.append((word, strip, self.line))
        return k - 1

    def bodies(self, pos):
        """Skip the bodies of the pending here-documents from pos, each to its terminator line;
        return the index after them."""
        s = self.s
        for word, strip, line in self.pending:
            body_line = self.line
            while True:
                if pos >= len(s):
                    self.unclosed = self.unclosed or (line, word, body_line)
                    break
                eol = s.find("\n", pos)
                eol = len(s) if eol < 0 else eol
                text = s[pos:eol]
                pos, self.line = eol + 1, self.line + (eol < len(s))
                if (text.lstrip("\t") if strip else text) == word:
                    break
        self.pending = []
        return min(pos, len(s))

    def in_quote(self, c, i):
        if c == self.quote:
            self.quote = ""
        elif c == "\\" and self.quote == '"' and self.s[i + 1:i + 2] == '"':
            self.word, self.text = self.word + '"', self.text + '\\"'
            return
        else:
            self.word += c
        self.line += c == "\n"
        self.text += c

    def add(self, chars, text):
        if not self.words and self.word is None:
            self.start = self.line
        self.word, self.text = (self.word or "") + chars, self.text + text

    def end(self, op):
        if self.word is not None:
            self.words.append(self.word)
        while self.words and self.words[0] in KEYWORDS:
            self.words.pop(0)
        if self.words:
            self.out.append(Command(self.start, " ".join(self.text.split()), tuple(self.words), self.before, op))
            self.before = op
        elif op != "\n":  # `fi;`: a newline alone keeps `a &&` waiting for its next command
            self.before = op
        self.word, self.words, self.text, self.start = None, [], "", self.line


def program(words):
    """The command a simple command runs, past VAR=value, exec, nice, timeout N, env and the like."""
    i = 0
    while i < len(words):
        w = words[i]
        if "=" in w and not w.startswith("=") and w.split("=", 1)[0].isidentifier():
            i += 1
        elif os.path.basename(w) in PREFIXES:
            i += 1
            while i < len(words) and (words[i].startswith("-") or words[i][:1].isdigit()):
                i += 1
        else:
            return i
    return len(words)


def hook_kind(cmd):
    """"upload" or "gate" when `cmd` runs swiftrotate with that command, else None."""
    i = program(cmd.words)
    if os.path.basename(cmd.words[i] if i < len(cmd.words) else "").startswith("python") and \
            cmd.words[i + 1:i + 3] == ("-m", "swiftrotate"):
        i += 2
    if i >= len(cmd.words) or os.path.basename(cmd.words[i]) != "swiftrotate":
        return None
    return next((w for w in cmd.words[i + 1:] if w in ("upload", "gate")), None)


def hook_flags(cmd):
    """name -> value of the --dateformat and --olddir flags on a hook's command line."""
    out, words = {}, cmd.words
    for i, word in enumerate(words):
        for flag in ("--dateformat", "--olddir"):
            if word == flag and i + 1 < len(words):
                out[flag[2:]] = words[i + 1]
            elif word.startswith(flag + "="):
                out[flag[2:]] = word.split("=", 1)[1]
    return out


def uses_arg2(script):
    """Whether the script reads $2 (${2...}) outside single quotes and not escaped."""
    quote, i = "", 0
    while i < len(script):
        c = script[i]
        if c == "'" and quote != '"':
            quote = "" if quote == "'" else "'"
        elif c == '"' and quote != "'":
            quote = "" if quote == '"' else '"'
        elif c == "\\":
            i += 1
        elif c == "#" and not quote and (i == 0 or script[i - 1] in " \t\n;"):
            j = script.find("\n", i)
            i = len(script) if j < 0 else j
        elif c == "$" and quote != "'":
            rest = script[i + 1:i + 3]
            if rest[:1] == "2" and not rest[1:2].isdigit() or rest == "{2":
                return True
        i += 1
    return False


def arg2_line(script, first_line):
    """The config line of the first $2 in `script` (the keyword's line when none is found)."""
    for n, text in enumerate(script.split("\n")):
        if uses_arg2(text):
            return first_line + n
    return first_line


def stoppers(cmds, k):
    """What can keep the hook at cmds[k] from running: (severity, line, problem, fix) for each."""
    out, errexit = [], None
    for c in cmds[:k]:
        name = os.path.basename(c.words[program(c.words)]) if program(c.words) < len(c.words) else ""
        conditional = c.before in ("&&", "||")
        if c.words[0] == "exit" or (c.words[0] == "exec" and len(c.words) > 1 and ">" not in c.words[1][:2]):
            verb = "ends the script" if c.words[0] == "exit" else "replaces the shell"
            out.append(("warning" if conditional else "error", c.line,
                        f"`{c.text}` {verb}{' when it runs' if conditional else ''} before the hook",
                        "put the hook before it"))
        elif c.words[0] == "set" and any(_errexit(w) for w in c.words[1:]):
            errexit = c
        elif name in (".", "source"):
            target = c.words[program(c.words) + 1] if program(c.words) + 1 < len(c.words) else "FILE"
            out.append(("warning", c.line, f"`{c.text}` ends the script before the hook when it cannot read "
                                           "its file (dash)", f"read it only if it is there: [ -r {target} ] && "
                                                              f"{c.text}"))
    if errexit is not None and any(c.line >= errexit.line for c in cmds[:k] if c is not errexit):
        out.append(("warning", errexit.line, f"`{errexit.text}`: any command that fails before the hook "
                                             "ends the script", "drop it (logrotate runs scripts without -e)"))
    hook = cmds[k]
    if hook.before in ("&&", "||"):
        when = "is skipped when that fails" if hook.before == "&&" else "runs only when that fails"
        out.append(("warning", hook.line, f"`{cmds[k - 1].text} {hook.before} ...`: the hook {when}",
                    "put the hook on a line of its own"))
    return out


def _errexit(word):
    return word == "errexit" or (word.startswith("-") and "e" in word[1:] and not word.startswith("--"))


def status_lost(cmds, k):
    """Why the exit status of the hook at cmds[k] does not reach logrotate, or None."""
    hook = cmds[k]
    if hook.after == "&":
        return "it runs in the background: logrotate goes on (compresses, expires) without waiting for it"
    if hook.after in ("||", "|"):
        return f"`{hook.text} {hook.after} ...` replaces its exit status"
    later = [c for c in cmds[k + 1:] if c.words[0] != "exit" or c.words[1:] not in ((), ("$?",))]
    if later:
        return f"`{later[-1].text}` runs after it, and the script's status is that last command's"
    return None
