"""WSGI entry point: `pbc serve` runs this application under gunicorn (pbc.config.server)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pbc.config.settings")
application = get_wsgi_application()
