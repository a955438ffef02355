"""The companion service: a localhost HTTP API (aiohttp) with pairing, signed requests and locking,
plus a Unix-socket control channel for the CLI. The wire protocol is docs/protocol.md."""
