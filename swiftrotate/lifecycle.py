"""S3 expiry: the object tag the hook sets and the bucket lifecycle rules
that act on it. Pure: no I/O; `swiftrotate lifecycle` (commands/lifecycle.py)
fetches and installs the rules through the S3 backend.

Swift expires each object itself (X-Delete-After). S3 cannot be told that
per object, so an object archived with expire_after = N carries the tag
swiftrotate-expire-days=N, and one rule per N, limited to the store's
prefix, expires what carries it. Rules are keyed by prefix and N: a rule
for a number no longer configured is kept, because objects already tagged
with it must still expire; rules that are not ours are never touched.

Must not: do I/O.
"""
import hashlib
from dataclasses import dataclass, field

TAG = "swiftrotate-expire-days"


def days_of(seconds):
    """The tag's whole days for an expire_after in seconds (rounded up)."""
    return -(-int(seconds) // 86400)


def tagging(days):
    """The x-amz-tagging value (URL-query form) for PutObject/CreateMultipartUpload."""
    return f"{TAG}={int(days)}"


def id_prefix(prefix):
    # Rule IDs are at most 255 characters: a long store prefix is hashed.
    label = prefix if len(prefix) <= 200 else hashlib.sha256(prefix.encode()).hexdigest()[:16]
    return f"swiftrotate:{label}:"


def rule(prefix, days):
    tag = {"Key": TAG, "Value": str(days)}
    flt = {"And": {"Prefix": prefix, "Tags": [tag]}} if prefix else {"Tag": tag}
    return {"ID": f"{id_prefix(prefix)}expire-{days}d", "Status": "Enabled", "Filter": flt,
            "Expiration": {"Days": days}}


@dataclass
class Plan:
    rules: list = field(default_factory=list)     # the whole configuration to install
    added: list = field(default_factory=list)
    changed: list = field(default_factory=list)   # (old, new)
    same: list = field(default_factory=list)
    kept: list = field(default_factory=list)      # ours, for a number no longer configured
    foreign: list = field(default_factory=list)   # not ours: left as they are

    @property
    def needed(self):
        return bool(self.added or self.changed)


def plan(current, prefix, days):
    """What to install so that every number in `days` has its rule, given
    the bucket's `current` rules."""
    mine = id_prefix(prefix)
    wanted = {r["ID"]: r for r in (rule(prefix, d) for d in sorted(set(days)))}
    out = Plan()
    for old in current:
        rid = old.get("ID", "")
        if rid in wanted:
            new = wanted.pop(rid)
            if _essence(old) == _essence(new):
                out.same.append(old)
                out.rules.append(old)
            else:
                out.changed.append((old, new))
                out.rules.append(new)
        else:
            (out.kept if rid.startswith(mine) else out.foreign).append(old)
            out.rules.append(old)
    out.added = list(wanted.values())
    out.rules += out.added
    return out


def _scope(r):
    """(prefix, sorted tags) of a rule, whichever way a server spells its filter."""
    flt = r.get("Filter") or {}
    inner = flt.get("And", flt)
    tags = inner.get("Tags") or ([inner["Tag"]] if "Tag" in inner else [])
    prefix = inner.get("Prefix", r.get("Prefix")) or ""
    return prefix, sorted((t.get("Key"), t.get("Value")) for t in tags)


def _essence(r):
    # Servers may echo extra fields (ExpiredObjectDeleteMarker: false, an empty
    # Prefix): compare what the rule does, not how it is spelled.
    return r.get("Status"), (r.get("Expiration") or {}).get("Days"), _scope(r)


def describe(r):
    """One line for a rule: what it expires, after how long."""
    prefix, tags = _scope(r)
    what = " ".join(f"tag {k}={v}" for k, v in tags)
    if prefix:
        what = f"under {prefix} " + what
    days = (r.get("Expiration") or {}).get("Days")
    after = f"expire after {days} days" if days else "no expiration days"
    return f"{r.get('ID', '(no id)')}: {after}, {what.strip() or 'every object'} ({r.get('Status', '?')})"


def diff_lines(p):
    lines = [f"+ {describe(r)}" for r in p.added]
    for old, new in p.changed:
        lines += [f"- {describe(old)}", f"+ {describe(new)}"]
    lines += [f"= {describe(r)}" for r in p.same]
    lines += [f"= {describe(r)} (kept: objects already tagged so still expire by it)" for r in p.kept]
    lines += [f"= {describe(r)} (not swiftrotate's, left alone)" for r in p.foreign]
    return lines
