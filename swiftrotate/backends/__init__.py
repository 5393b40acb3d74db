"""Backend registry: a store URL's scheme names the module that serves it.

Each built-in module (local.py, swift.py, s3.py) exports
`from_url(netloc, path, options) -> Backend` and a Backend class that
declares its Capabilities; capabilities_of(url) reads them without
connecting. Modules are imported only when their scheme is used (the
documented lazy loads of this package), so `swiftrotate upload` with nothing
to do never imports boto3 or swiftclient. Third parties add schemes through
the entry-point group `swiftrotate.backends`; the entry point names a
callable `from_url(netloc, path, options) -> Backend`.

Owns URL parsing and option coercion; must not know any store's protocol.
"""
import importlib
from urllib.parse import unquote, urlsplit

from ..errors import ConfigError, UnknownOption

# scheme -> "module:Class"; each module exports from_url(netloc, path, options)
BUILTIN = {
    "file": "swiftrotate.backends.local:LocalBackend",
    "swift": "swiftrotate.backends.swift:SwiftBackend",
    "s3": "swiftrotate.backends.s3:S3Backend",
}
_SCHEMES_HINT = "use swift://CONTAINER[/PREFIX], s3://BUCKET[/PREFIX] or file:///DIR"


def _entry_point(scheme):
    """The third-party entry point serving `scheme`, or None."""
    from importlib.metadata import entry_points

    return next((ep for ep in entry_points(group="swiftrotate.backends") if ep.name == scheme), None)


def _factory(scheme):
    """(from_url, Backend class or None) for `scheme`; imports its module."""
    if scheme in BUILTIN:
        module, cls = BUILTIN[scheme].split(":")
        module = importlib.import_module(module)
        return module.from_url, getattr(module, cls)
    ep = _entry_point(scheme)
    if ep is None:
        raise ConfigError(f"unknown store scheme {scheme!r}", _SCHEMES_HINT)
    return ep.load(), None


def check_scheme(url):
    """ConfigError unless `url` parses and some backend serves its scheme;
    imports no backend module (the no-op hook path calls it)."""
    scheme = parse_url(url)[0]
    if scheme not in BUILTIN and _entry_point(scheme) is None:
        raise ConfigError(f"dest {url!r}: unknown store scheme {scheme!r}", _SCHEMES_HINT)
    return scheme


def capabilities_of(url):
    """The Capabilities that the backend class serving `url` declares,
    without connecting (imports its module). A third-party from_url may
    carry a `capabilities` attribute; without one it claims none."""
    from_url, cls = _factory(parse_url(url)[0])
    # base loaded with the store's module, as the rest is: the hook's config check does not need it
    return getattr(cls or from_url, "capabilities", None) or importlib.import_module(f"{__name__}.base").Capabilities()


def parse_url(url):
    if not url or "://" not in url:
        # "user:secret@host/bucket" is a likely mistake here: never echo what precedes an @
        shown = "***@" + url.rsplit("@", 1)[1] if url and "@" in url else url
        raise ConfigError(f"store URL {shown!r} has no scheme", _SCHEMES_HINT)
    parts = urlsplit(url)
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ConfigError("store URL must not carry credentials, a query or a fragment",
                          "put credentials in the config file or the environment")
    return parts.scheme.lower(), unquote(parts.netloc), unquote(parts.path)


def get_backend(url, options=None, *, create=True):
    """Build the backend for `url` with `options` (str values are coerced).
    create=False: for reading; the store never creates its container
    (its class's create_option is turned off)."""
    scheme, netloc, path = parse_url(url)
    from_url, cls = _factory(scheme)
    opts = coerce(cls, options or {}) if cls else dict(options or {})
    if not create and getattr(cls, "create_option", ""):
        opts[cls.create_option] = False
    try:
        return from_url(netloc, path, opts)
    except TypeError as exc:
        raise ConfigError(f"bad option for {scheme}:// store: {exc}") from None


def coerce(cls, options):
    """Convert INI strings to the types of the constructor's defaults."""
    import inspect  # not at the top: the no-op hook path imports this package, never coerce()

    params = inspect.signature(cls.__init__).parameters
    out = {}
    for name, value in options.items():
        if name not in params:
            if name.startswith("os_") or name in ("auth_url", "user", "key", "auth_version", "tenant_name"):
                out[name] = value  # swift's from_url consumes these
                continue
            raise UnknownOption(f"unknown option {name!r} for {cls.scheme}:// stores",
                                "see docs/reference.md for the options of each store",
                                name=name, known=sorted(p for p in params if p not in ("self", "args", "kwargs")))
        default = params[name].default
        out[name] = _convert(name, value, default)
    return out


def _convert(name, value, default):
    if not isinstance(value, str):
        return value
    try:
        if isinstance(default, bool):
            if value.lower() in ("1", "true", "yes", "on"):
                return True
            if value.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(value)
        if isinstance(default, int):
            return parse_size(value)
        if isinstance(default, float):
            return float(value)
    except ValueError:
        raise ConfigError(f"option {name} = {value!r} is not a valid {type(default).__name__}") from None
    return value


def parse_size(text):
    """'64M', '5MiB', '1048576' -> bytes."""
    t = text.strip().upper().replace("IB", "").rstrip("B")
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}.get(t[-1:], 1)
    return int(float(t[:-1] if mult > 1 else t) * mult)
