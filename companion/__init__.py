"""OTP Companion: an encrypted vault of OTP secrets, a localhost service and a browser extension.

Kept empty on purpose: `otpc code` imports this package on its fast path, so nothing here may pull in
click, rich, aiohttp or cryptography.
"""
__version__ = "0.1.0"
