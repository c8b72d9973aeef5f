"""Helpers the tests import: fakes, factories, servers and waits. Fixtures stay in conftest modules."""
