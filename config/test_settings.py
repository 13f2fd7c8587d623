"""Settings for the test suite: the real settings with a test webhook secret and fast password hashing.

Everything else (database, broker, cache) still comes from the environment, so the same suite runs on
SQLite and eager tasks, or on PostgreSQL, Redis and a real broker in CI.
"""

import os

os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("GITHUB_APP_WEBHOOK_SECRET", "test-webhook-secret")
# A developer's registered App (var/github-app.json) must not leak into the tests.
os.environ.setdefault("GITHUB_APP_CREDENTIALS_FILE", "")

from config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, as the embedded default is, not Django's shared-cache in-memory database: there a second thread
    # (the browser tests' live server beside a background import) meets a table lock that fails at once
    # ("database table is locked") instead of the file lock the product's busy timeout waits for.
    import tempfile

    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(tempfile.gettempdir(), f"tformance-test-{os.getpid()}.sqlite3")
    }
