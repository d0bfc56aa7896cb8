import pytest

from tests.support import make_user
from tests.support.ob3 import LEARNER_EMAIL, harbour  # noqa: F401 - a fixture


@pytest.fixture(autouse=True)
def _registrations_unlimited(settings):
    """Every test here registers from 127.0.0.1 and the shared cache outlives a test: the registration limit
    is tested on its own, from addresses no other test uses (test_registration_limits)."""
    settings.OBAPI_REGISTER_RATE_LIMIT = "100000/minute"


@pytest.fixture
def holder(db, settings):
    """The learner Harbour College (a foreign OB 3.0 issuer on loopback) awarded."""
    settings.VERIFY_ALLOW_PRIVATE_ADDRESSES = True
    return make_user(LEARNER_EMAIL)
