"""System checks a deployment meets at start-up."""

from __future__ import annotations

import os

from django.core.management import call_command


def test_a_setting_left_under_its_old_backfill_name_is_named_at_start_up(monkeypatch, capsys):
    """``BACKFILL_PAGE_SIZE`` became ``IMPORT_PAGE_SIZE``: a deployment that still sets the old one is told, rather
    than having its value ignored without a word."""
    monkeypatch.setenv("BACKFILL_PAGE_SIZE", "20")
    call_command("check")
    err = capsys.readouterr().err
    assert "BACKFILL_PAGE_SIZE is no longer read" in err and "Rename it to IMPORT_PAGE_SIZE" in err


def test_no_warning_without_old_names(monkeypatch, capsys):
    for name in [n for n in os.environ if n.startswith("BACKFILL_")]:
        monkeypatch.delenv(name)
    call_command("check")
    assert "no longer read" not in capsys.readouterr().err
