"""The WSGI application: Django, with the lean path for ready public documents in front of it
(``verification.lean``), which answers them before any middleware runs."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "badgeplatform.settings")
django_application = get_wsgi_application()

from django.urls import get_resolver  # noqa: E402 - after Django is set up

from verification.lean import LeanDocuments  # noqa: E402 - after Django is set up

application = LeanDocuments(django_application)

# What a web process loads once (Django, the apps, the URL conf and the views it imports) lives as long as
# the process: moved out of the cycle collector's generations, a full collection no longer walks it.
# Measured on the API's page of 500 awards: ~170,000 objects tracked before, ~56,000 after, and full
# collections during requests correspondingly shorter (``gc.freeze``, as the Python docs describe).
get_resolver().url_patterns  # noqa: B018 - load the URL conf now, so that it is frozen too
gc.freeze()
