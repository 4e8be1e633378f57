from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from . import views

app_name = "accounts"
urlpatterns = [
    path("audit/", views.audit_log, name="audit_log"),
    path("notifications/", views.notifications, name="notifications"),
    # One-time links printed by ``manage.py load_org`` / ``create_admin`` for new users
    # (Django's reset token: void once a password is set, or after PASSWORD_RESET_TIMEOUT).
    path(
        "password/set/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="registration/password_set.html", success_url=reverse_lazy("login")
        ),
        name="password_set",
    ),
]
