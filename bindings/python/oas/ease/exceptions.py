"""The SDK's exceptions (`oas.ease.exceptions`), raised from liboas failures.

`OASServerError` and `OASClientError` are the two families of the original SDK;
`OASQuotaExceededError` (an `OASServerError`) is the vault quota's error;
`UploadArchiveError`, `DownloadArchiveError` and `HashDoesNotMatchError` derive
from `OASClientError`. Every exception raised by this package also carries
`result` (the liboas result code, e.g. 400) and `result_name`.

Network failures are `OASTransportError`, an `OASClientError` that is also an
`IOError` (the original SDK raised `IOError`); local file failures are
`OASIOError` (also an `IOError`); bad arguments are `OASValueError` (also a
`ValueError`, as in the original).
"""


class OASError(Exception):
    """Base of every exception of this package (not in the original SDK)."""

    result = 0
    result_name = ""

    def __init__(self, message="", *args):
        Exception.__init__(self, message, *args)
        self.message = message

    def __str__(self):
        return self.message


class OASServerError(OASError):
    """The server answered with an error.

    Fields: `headers` (dict, lower-case keys), `request_id`, `status` (int),
    `code`, `type`, `message` (the server's); `description` (an extra) is the
    library's sentence naming the failed operation.
    """

    def __init__(self, status=0, code=None, type=None, message="", request_id=None, headers=None,
                 description=None):
        OASError.__init__(self, message)
        self.description = description or message
        self.status = status
        self.code = code
        self.type = type
        self.request_id = request_id
        self.headers = dict(headers or {})

    def __str__(self):
        return "OASServerError: status=%s, code=%s, type=%s, request_id=%s, message=%s" % (
            self.status, self.code, self.type, self.request_id, self.description)

    def __repr__(self):
        return "OASServerError(status=%r, code=%r, type=%r, message=%r, request_id=%r)" % (
            self.status, self.code, self.type, self.message, self.request_id)


class OASQuotaExceededError(OASServerError):
    """The account reached a service quota: the 11th vault of an account in a
    region (HTTP 403, code `TooManyVaults`; the service allows 10). An
    `OASServerError` with all its fields (not in the original SDK, which
    raised a plain `OASServerError`)."""


class OASClientError(OASError):
    """A failure on the client side: network, local files, transfers."""


class UploadArchiveError(OASClientError):
    """An upload failed. `upload_id` names the multipart upload to resume, when known."""

    upload_id = None


class DownloadArchiveError(OASClientError):
    """A download failed (or its job is not ready / failed)."""


class HashDoesNotMatchError(OASClientError):
    """Data did not match its content etag or tree etag."""


class OASTransportError(OASClientError, IOError):
    """No usable answer from the network (also an IOError, as in the original SDK)."""

    def __init__(self, message=""):
        IOError.__init__(self, message)
        self.message = message

    def __str__(self):
        return self.message


class OASIOError(OASClientError, IOError):
    """A local file or descriptor operation failed (also an IOError)."""

    def __init__(self, message=""):
        IOError.__init__(self, message)
        self.message = message

    def __str__(self):
        return self.message


class OASValueError(OASClientError, ValueError):
    """An argument was refused (also a ValueError, as in the original SDK)."""


def from_error(info, context=None):
    """The exception for an `oas._lib.ErrorInfo`; `context` is "upload", "download" or None."""
    from .. import _lib

    rc = info.result
    msg = info.message

    def server_error(cls=OASServerError):
        return cls(info.http_status, info.server_code or None, info.server_type or None,
                   info.server_message or msg, info.request_id or None, info.headers, msg)
    if rc == _lib.QUOTA_EXCEEDED:
        e = server_error(OASQuotaExceededError)
    elif rc == _lib.SERVER or (rc == _lib.NOT_FOUND and info.http_status):
        e = server_error()
    elif rc == _lib.NOT_FOUND:  # get_vault_by_name of a missing vault: ValueError, as before
        e = OASValueError(msg)
    elif rc in (_lib.INVALID_ARGUMENT, _lib.NULL_ARGUMENT, _lib.INVALID_UTF8,
                _lib.BUFFER_TOO_SMALL):
        e = OASValueError(msg)
    elif rc == _lib.IO:
        e = OASIOError(msg)
    elif rc in (_lib.TRANSPORT, _lib.TIMEOUT):
        e = OASTransportError(msg)
    elif rc == _lib.HASH_MISMATCH:
        e = HashDoesNotMatchError(msg)
    elif rc == _lib.UPLOAD_FAILED:
        e = UploadArchiveError(msg)
    elif rc in (_lib.DOWNLOAD_FAILED, _lib.JOB_NOT_READY, _lib.JOB_FAILED):
        e = DownloadArchiveError(msg)
    elif context == "upload" and rc in (_lib.CANCELLED, _lib.INVALID_STATE):
        e = UploadArchiveError(msg)
    elif context == "download" and rc in (_lib.CANCELLED, _lib.INVALID_STATE, _lib.WAIT_TIMEOUT):
        e = DownloadArchiveError(msg)
    elif rc == _lib.PROTOCOL and info.http_status:
        e = server_error()
    else:
        e = OASClientError(msg)
    if isinstance(e, UploadArchiveError) and info.upload_id:
        e.upload_id = info.upload_id
    e.result = rc
    e.result_name = _lib.text(_lib.LIB.oas_result_str(rc))
    return e


__all__ = ["OASError", "OASServerError", "OASQuotaExceededError", "OASClientError",
           "UploadArchiveError", "DownloadArchiveError", "HashDoesNotMatchError",
           "OASTransportError", "OASIOError", "OASValueError"]
