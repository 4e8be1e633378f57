"""The project's URLconf plus two views that crash (tests/test_hardening.py)."""

from django.urls import path

from voc.urls import handler400, handler403, handler404, handler500, urlpatterns  # noqa: F401


def crash(request):
    raise RuntimeError("secret detail")


urlpatterns = [path("crash/", crash), path("api/v1/crash/", crash), *urlpatterns]
