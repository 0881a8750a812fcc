"""The SDK's high-level ("ease") layer: Vault, Uploader, Job, exceptions, utils."""
