"""A Python 3 drop-in replacement for the OAS Python SDK (`oassdk`), on liboas.

The high-level API is at the original import paths: `oas.oas_api.OASAPI`,
`oas.ease.vault.Vault`, `oas.ease.uploader.Uploader`, `oas.ease.job.Job`,
`oas.ease.exceptions`, `oas.ease.utils`. See README.md for the differences.
`oas.region_endpoint(region)` (also in `oas.oas_api`) gives a region's endpoint.
"""

from . import _lib
from .oas_api import region_endpoint

__version__ = _lib.version()
