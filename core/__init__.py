"""The base layer: the facts and types every part of lantian shares, defined once.

Labels, workflow statuses, lead sources, districts, the lead id rule, the typed listing / detection / lead
documents, the typed agency (registry row and risk document), config reading and validation, the settings loader,
opening and writing the SQLite databases, replacing a file atomically, the system Chromium and terminal-safe text. It
imports no other part of lantian, so any part may import it (docs/architecture.md).
"""
