"""GitHub mocked at the HTTP layer, shared with the integrations tests: the connect pages ask GitHub who owns an
installation, and the freshness tests run real imports."""

from apps.integrations.tests.conftest import github  # noqa: F401
