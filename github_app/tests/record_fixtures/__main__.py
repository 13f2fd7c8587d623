"""``python -m github_app.tests.record_fixtures``: write every fixture anew."""

from . import main

main()
