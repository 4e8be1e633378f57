import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voc.settings")
application = get_wsgi_application()

# gunicorn runs no system checks: refuse to serve without real keys for personal data.
from complaints.checks import refuse_unsafe_keys  # noqa: E402

refuse_unsafe_keys()
