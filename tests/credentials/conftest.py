from tests.support.conformance import served  # noqa: F401 - a fixture
