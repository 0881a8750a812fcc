"""`OASAPI`: the service endpoint and credentials (the original constructor).

Only the constructor of the original low-level class is provided: an
`OASAPI` is what the high-level classes (`oas.ease.vault.Vault`) take. It
holds one liboas client (thread-safe, one connection pool).
"""

import weakref

from . import _lib

# Keyword options beyond the original constructor -> oas_client_options fields.
_OPTIONS = {
    "connect_timeout": ("connect_timeout_ms", 1000),
    "read_timeout": ("read_timeout_ms", 1000),
    "retry_max_attempts": ("retry_max_attempts", None),
    "retry_base_delay": ("retry_base_delay_ms", 1000),
    "retry_max_delay": ("retry_max_delay_ms", 1000),
    "workers": ("workers", None),
    "upload_threshold": ("upload_threshold", None),
    "part_size": ("part_size", None),
    "download_range_size": ("download_range_size", None),
    "bandwidth_limit": ("bandwidth_limit", None),
}


def region_endpoint(region, internal=False, https=False):
    """The endpoint of an OAS region, usable as the `host` of `OASAPI` (an
    extra): "cn-hangzhou" gives "http://cn-hangzhou.oas.aliyuncs.com";
    `internal` the intranet domain (cn-hangzhou.oas-internal.aliyuncs.com),
    `https` the https scheme. A malformed region id is a ValueError."""
    out = _lib.c_void_p()
    _lib.check(_lib.LIB.oas_region_endpoint, _lib.enc(region, "region"), bool(internal),
               bool(https), _lib.byref(out))
    return _lib.take_string(out)


class OASAPI(object):
    """OASAPI(host, accessId, accessKey, port=80, is_security=False, **options)

    `host` is a host name without scheme (a leading `http://` or `https://` is
    accepted too); `is_security=True` or port 443 means HTTPS. Extra keyword
    options (not in the original SDK): `connect_timeout`, `read_timeout`,
    `retry_base_delay`, `retry_max_delay` (seconds), `retry_max_attempts`,
    `workers`, `upload_threshold`, `part_size`, `download_range_size`,
    `bandwidth_limit` (bytes), `proxy`, `ca_file`, `verify_tls`, `user_agent`,
    `protocol_version` (the `x-oas-version` value, default "0.2.5"), `oss_host`
    (the OSS host of `pull_from_oss` / `push_to_oss` given an empty one).
    `region_endpoint("cn-hangzhou")` gives the `host` of a region.
    """

    def __init__(self, host, accessId, accessKey, port=80, is_security=False, **options):
        host = str(host)
        scheme = "https" if (is_security or int(port) == 443) else "http"
        for prefix in ("http://", "https://"):
            if host.startswith(prefix):
                scheme = prefix[:-3]
                host = host[len(prefix):]
        host = host.rstrip("/")
        if ":" not in host.split("]")[-1]:
            host = "%s:%d" % (host, int(port))
        self.host = host
        self.port = int(port)
        self.is_security = scheme == "https"
        self.accessId = accessId
        self.endpoint = "%s://%s" % (scheme, host)

        opts = _lib.ClientOptions()
        _lib.LIB.oas_client_options_init(_lib.byref(opts), _lib.ctypes.sizeof(opts))
        keep = [_lib.enc(self.endpoint), _lib.enc(accessId, "accessId"),
                _lib.enc(accessKey, "accessKey")]
        opts.endpoint, opts.access_id, opts.access_key = keep
        for key, value in options.items():
            if key in _OPTIONS:
                field, scale = _OPTIONS[key]
                setattr(opts, field, int(value * scale) if scale else int(value))
            elif key in ("proxy", "ca_file", "user_agent", "protocol_version", "oss_host"):
                b = _lib.enc(value, key)
                keep.append(b)
                setattr(opts, key, b)
            elif key == "verify_tls":
                opts.verify_tls = 1 if value else 0
            else:
                raise TypeError("OASAPI() got an unexpected keyword argument %r" % key)
        handle = _lib.c_void_p()
        _lib.check(_lib.LIB.oas_client_new, _lib.byref(opts), _lib.byref(handle))
        self._client = handle.value
        self._finalizer = weakref.finalize(self, _lib.LIB.oas_client_free, handle.value)
        self._finalizer.atexit = False  # a daemon thread may still use it at exit

    def __repr__(self):
        return "OASAPI(%r, accessId=%r)" % (self.endpoint, self.accessId)
