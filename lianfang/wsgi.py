"""WSGI entry point for gunicorn: ``gunicorn lianfang.wsgi``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lianfang.settings")
application = get_wsgi_application()
