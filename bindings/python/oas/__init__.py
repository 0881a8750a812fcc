"""A Python 3 drop-in replacement for the OAS Python SDK (`oassdk`), on liboas.

The high-level API is at the original import paths: `oas.oas_api.OASAPI`,
`oas.ease.vault.Vault`, `oas.ease.uploader.Uploader`, `oas.ease.job.Job`,
`oas.ease.exceptions`, `oas.ease.utils`. See README.md for the differences.
"""

from . import _lib

__version__ = _lib.version()
