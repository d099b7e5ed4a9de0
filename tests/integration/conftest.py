"""Fixtures of the integration tests: those of the suites whose capabilities meet here."""

from tests.batch.conftest import server

__all__ = ["server"]
