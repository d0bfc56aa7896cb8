"""The live server with PNG and SVG badges that the conformance tests use, for endorsed badges too."""

from tests.verification.test_conformance import served  # noqa: F401 - a fixture
