"""Exporters: plain Items (companion.importers.records.Item) → bytes, optionally encrypted. No vault
access: the CLI reads the vault (audited) and hands the records over."""
