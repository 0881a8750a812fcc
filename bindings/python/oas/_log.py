"""Feeds the library's log callback into Python's `logging`.

Targets of the library map to the SDK's logger names: `oas::uploader` and
`oas::upload` to `oas.ease.uploader`, `oas::job` to `oas.ease.job`,
`oas::client` to `oas.ease.api`, `oas::digest` to `oas.ease.utils`, any other
`oas::x` to `oas.ease.x`. The library's level is set from the most verbose
of those loggers each time the package calls the library for network work
(`sync()`), so the library formats no message that no logger wants.

The callback may run on the library's worker threads, several at once; ctypes
takes the GIL for it. The calling thread waits inside a CDLL call with the
GIL released, so a callback never deadlocks against it.
"""

import atexit
import logging

from . import _lib

TRACE = 5
_TARGETS = {"uploader": "oas.ease.uploader", "upload": "oas.ease.uploader",
            "job": "oas.ease.job", "download": "oas.ease.job", "client": "oas.ease.api",
            "http": "oas.ease.api",
            "digest": "oas.ease.utils", "vault": "oas.ease.vault"}
_NAMES = sorted(set(_TARGETS.values()))
_PY_LEVEL = {_lib.LOG_ERROR: logging.ERROR, _lib.LOG_WARN: logging.WARNING,
             _lib.LOG_INFO: logging.INFO, _lib.LOG_DEBUG: logging.DEBUG,
             _lib.LOG_TRACE: TRACE}

logging.getLogger("oas").addHandler(logging.NullHandler())
_loggers = {}


def logger_for(target):
    lg = _loggers.get(target)
    if lg is None:
        parts = target.split("::")
        if len(parts) >= 2 and parts[0] == "oas":
            name = _TARGETS.get(parts[1], "oas.ease." + parts[1])
        else:
            name = "oas.lib"
        lg = _loggers[target] = logging.getLogger(name)
    return lg


def _on_log(_userdata, level, target, message):
    try:
        lg = logger_for(target.decode("utf-8", "replace") if target else "")
        pylevel = _PY_LEVEL.get(level, logging.INFO)
        if lg.isEnabledFor(pylevel):
            lg.log(pylevel, message.decode("utf-8", "replace") if message else "")
    except Exception:  # a callback must not raise into the library
        pass


_CALLBACK = _lib.LOG_FN(_on_log)  # kept alive for the life of the process
_installed = [None]


def _wanted_level():
    py = min(logging.getLogger(n).getEffectiveLevel() for n in _NAMES)
    if logging.getLogger("oas").manager.disable >= logging.CRITICAL:
        return None
    if py <= TRACE:
        return _lib.LOG_TRACE
    if py <= logging.DEBUG:
        return _lib.LOG_DEBUG
    if py <= logging.INFO:
        return _lib.LOG_INFO
    if py <= logging.WARNING:
        return _lib.LOG_WARN
    return _lib.LOG_ERROR


def sync():
    """Installs the callback at the level the Python loggers want (cheap when unchanged)."""
    level = _wanted_level()
    if level == _installed[0]:
        return
    if level is None:
        _lib.LIB.oas_set_log_callback(_lib.LOG_FN(), None, _lib.LOG_ERROR)
    else:
        _lib.LIB.oas_set_log_callback(_CALLBACK, None, level)
    _installed[0] = level


@atexit.register
def _uninstall():
    # No callback into an interpreter that is shutting down.
    _lib.LIB.oas_set_log_callback(_lib.LOG_FN(), None, _lib.LOG_ERROR)
    _installed[0] = None
