"""Team mode: a team's entries shared through PostgreSQL, end-to-end encrypted (docs/team-format.md).

This package is the only code that will talk to PostgreSQL. What exists today is its pure core:
member keys (keys.py), unit keys and their wrapping (units.py), sealed and signed records
(records.py) and the admin statement chain that says who may do what (statements.py).
"""
