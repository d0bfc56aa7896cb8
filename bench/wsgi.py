"""WSGI entry for the benchmark: the real settings, with bench/urls.py as the URL conf."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "badgeplatform.settings")

from django.conf import settings  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402

settings.ROOT_URLCONF = "bench.urls"
application = get_wsgi_application()
