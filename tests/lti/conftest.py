from __future__ import annotations

import pytest

from tests.support.lti_platform import Platform


@pytest.fixture
def tool(live_server, settings):
    """Our tool served over HTTP (the platform calls its key set), allowed to call a platform on 127.0.0.1."""
    settings.PUBLIC_BASE_URL = live_server.url
    settings.LTI_ALLOW_PRIVATE_ADDRESSES = True
    return live_server


@pytest.fixture
def platform(tool):
    found = Platform("moodle").start()
    yield found
    found.stop()


@pytest.fixture
def platform_b(tool):
    found = Platform("canvas").start()
    yield found
    found.stop()
