"""A local GitHub (API + web on one origin) for the demo, browser tests, fault drills and load tests.

Self-contained: standard library, pyjwt, cryptography and requests only; never Django or Celery.
"""

from .config import EmulatorConfig
from .server import EmulatorServer

__all__ = ["EmulatorConfig", "EmulatorServer"]
