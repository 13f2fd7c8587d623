"""Conformance passes against GitHub's published schema, payloads and API examples (when ../shared is present)."""
