from importlib.util import find_spec

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, register_converter
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts import views as account_views
from voc.params import IdConverter

register_converter(IdConverter, "id")  # before the apps' URLconfs are included

urlpatterns = [
    path("", account_views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

# Each app owns its pages (``<app>/urls.py``) and its API (``<app>/api/urls.py``).
for app in ("complaints", "workflow", "recordings", "analytics"):
    if find_spec(f"{app}.urls"):
        urlpatterns.append(path(f"{app}/", include(f"{app}.urls")))
    if find_spec(f"{app}.api") and find_spec(f"{app}.api.urls"):
        urlpatterns.append(path("api/v1/", include(f"{app}.api.urls")))
