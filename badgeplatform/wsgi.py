"""The WSGI application: Django, with the lean path for ready public documents in front of it
(``verification.lean``), which answers them before any middleware runs."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "badgeplatform.settings")
django_application = get_wsgi_application()

from verification.lean import LeanDocuments  # noqa: E402 - after Django is set up

application = LeanDocuments(django_application)
