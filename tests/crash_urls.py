"""The project's URLconf plus views that crash or lose the database (tests/test_hardening.py)."""

from django.db import OperationalError
from django.urls import path

from voc.urls import handler400, handler403, handler404, handler500, urlpatterns  # noqa: F401


def crash(request):
    raise RuntimeError("secret detail")


def database_down(request):
    try:
        raise OSError("connection refused (secret detail)")
    except OSError as exc:  # as Django's DatabaseErrorWrapper raises it: the driver error as the cause
        raise OperationalError("server closed the connection unexpectedly") from exc


urlpatterns = [
    path("crash/", crash),
    path("api/v1/crash/", crash),
    path("dbdown/", database_down),
    path("api/v1/dbdown/", database_down),
    *urlpatterns,
]
