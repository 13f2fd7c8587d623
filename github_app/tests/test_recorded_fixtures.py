"""The fixtures in github_app/tests/data/github are exactly what the emulator records today."""

from __future__ import annotations

from github_app.tests.fixtures import PROJECT_FIXTURES_DIR
from github_app.tests.record_fixtures import recorded


def test_every_fixture_file_is_what_the_recorder_writes_today() -> None:
    """A change to the emulator's shapes fails here until ``python -m github_app.tests.record_fixtures`` is run."""
    expected = recorded()
    on_disk = {
        p.relative_to(PROJECT_FIXTURES_DIR).as_posix(): p.read_text() for p in PROJECT_FIXTURES_DIR.rglob("*.json")
    }
    assert sorted(on_disk) == sorted(expected)
    assert [name for name, text in expected.items() if on_disk[name] != text] == []
