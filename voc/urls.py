from importlib.util import find_spec

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.urls import include, path, register_converter
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import views as account_views
from voc.extensions import project_apps
from voc.health import healthz
from voc.params import IdConverter

register_converter(IdConverter, "id")  # before the apps' URLconfs are included

urlpatterns = [
    path("", account_views.home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Signed-in users only (SERVE_PERMISSIONS in voc/hardening.py); the split view serves the
    # Swagger UI set-up as a script file, as the Content-Security-Policy allows no inline script.
    path("api/docs/", login_required(SpectacularSwaggerSplitView.as_view(url_name="api-schema")), name="api-docs"),
]

# API paths answer errors in JSON, pages with templates/400.html, 403.html, 404.html, 500.html.
handler400 = "voc.errors.bad_request"
handler403 = "voc.errors.permission_denied"
handler404 = "voc.errors.page_not_found"
handler500 = "voc.errors.server_error"

# Each of the project's apps owns its pages (``<app>/urls.py`` at ``<app>/``) and its API
# (``<app>/api/urls.py`` under ``api/v1/``), in INSTALLED_APPS order. A broken URLconf always
# fails loudly (a site without an app's pages would answer 500s wherever they are linked).
for config in project_apps():
    app = config.name
    if find_spec(f"{app}.urls"):
        urlpatterns.append(path(f"{config.label}/", include(f"{app}.urls")))
    if find_spec(f"{app}.api") and find_spec(f"{app}.api.urls"):
        urlpatterns.append(path("api/v1/", include(f"{app}.api.urls")))
