"""Admin pages for endpoints, their delivery log, clients and API keys.

Every add and change goes through the audited admin site (``accounts.admin_audit``): an audit
event names who did what; secrets and key hashes are recorded as "[hidden]". A new endpoint
secret and a new API key are shown once, in the confirmation message, and never again.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from rest_framework.throttling import SimpleRateThrottle

from accounts.admin_base import ReadOnlyAdmin

from . import services
from .models import ApiKey, Delivery, DeliveryAttempt, EventType, IntegrationClient, WebhookEndpoint
from .services.clients import allowed_action_names
from .services.endpoints import endpoint_validate


class EndpointForm(forms.ModelForm):
    url = forms.URLField(label=_("接收地址"), max_length=500, assume_scheme="https")
    event_types = forms.MultipleChoiceField(
        label=_("事件类型"), choices=EventType.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["name", "url", "event_types", "org", "is_active"]

    def clean(self):
        data = super().clean()
        if data.get("url") and data.get("event_types"):
            endpoint_validate(url=data["url"], event_types=data["event_types"])
        return data


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = EndpointForm
    list_display = ["name", "url", "org", "is_active", "created_at", "delivery_log"]
    list_filter = ["is_active"]
    actions = ["rotate_secret"]

    @admin.display(description=_("投递记录"))
    def delivery_log(self, obj):
        return format_html('<a href="../deliveryattempt/?endpoint__id__exact={}">{}</a>', obj.pk, _("查看"))

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        endpoint, secret = services.endpoint_create(
            name=obj.name, url=obj.url, event_types=obj.event_types, org=obj.org, is_active=obj.is_active
        )
        obj.pk, obj.secret_encrypted, obj.created_at = endpoint.pk, endpoint.secret_encrypted, endpoint.created_at
        obj._state.adding = False
        messages.warning(request, _("签名密钥（只显示这一次，请立即交给接收方）：%(secret)s") % {"secret": secret})

    @admin.action(description=_("更换签名密钥"))
    def rotate_secret(self, request, queryset):
        for endpoint in queryset:
            secret = services.endpoint_rotate_secret(endpoint=endpoint)
            self.log_change(request, endpoint, [{"changed": {"fields": ["secret_encrypted"]}}])
            messages.warning(
                request, _("%(name)s 的新签名密钥（只显示这一次）：%(secret)s") % {"name": endpoint, "secret": secret}
            )


@admin.register(DeliveryAttempt)
class DeliveryAttemptAdmin(ReadOnlyAdmin):
    """The delivery log per endpoint: read only."""

    list_display = ["at", "endpoint", "event_ref", "attempt", "status_code", "latency_ms", "ok", "error"]
    list_filter = ["ok", "endpoint"]
    list_select_related = ["endpoint", "delivery__event"]
    date_hierarchy = "at"

    @admin.display(description=_("事件"))
    def event_ref(self, obj):
        event = obj.delivery.event
        return f"{event.type} · {event.payload.get('case', {}).get('reference', '')} #{event.sequence}"


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ["event", "endpoint", "status", "attempts", "last_status_code", "last_error", "sent_at"]
    list_filter = ["status", "endpoint"]
    list_select_related = ["event", "endpoint"]


class ClientForm(forms.ModelForm):
    allowed_actions = forms.MultipleChoiceField(
        label=_("允许的操作"), required=False, widget=forms.CheckboxSelectMultiple, choices=()
    )
    org = forms.ModelChoiceField(label=_("所属机构"), queryset=None, required=False)

    class Meta:
        model = IntegrationClient
        fields = ["name", "allowed_actions", "rate", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from accounts.models import Organisation

        self.fields["allowed_actions"].choices = [(a, a) for a in allowed_action_names()]
        self.fields["org"].queryset = Organisation.objects.all()
        if self.instance.pk:
            del self.fields["org"]  # the service user's org is changed on the user
        else:
            self.fields["org"].required = True

    def clean_rate(self):
        rate = self.cleaned_data["rate"]
        try:
            SimpleRateThrottle.parse_rate(None, rate)
        except (ValueError, KeyError, IndexError):
            raise forms.ValidationError(_("格式应为 次数/单位，如 600/min")) from None
        return rate


@admin.register(IntegrationClient)
class IntegrationClientAdmin(admin.ModelAdmin):
    form = ClientForm
    list_display = ["name", "service_user", "is_active", "rate", "created_at"]
    readonly_fields = ["service_user"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        client = services.integration_client_create(
            name=obj.name, org=form.cleaned_data["org"], allowed_actions=obj.allowed_actions, rate=obj.rate
        )
        obj.pk, obj.service_user, obj.created_at = client.pk, client.service_user, client.created_at
        obj._state.adding = False


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["client", "name", "prefix", "created_at", "created_by", "last_used_at", "revoked_at"]
    list_filter = ["client"]
    readonly_fields = ["prefix", "created_at", "created_by", "last_used_at", "revoked_at", "revoked_by"]
    actions = ["revoke"]

    def get_fields(self, request, obj=None):
        return ["client", "name"] if obj is None else ["client", "name", *self.readonly_fields]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is None else ["client", *self.readonly_fields]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        key, raw = services.api_key_create(client=obj.client, name=obj.name, actor=request.user)
        obj.pk, obj.prefix, obj.key_hash, obj.created_at = key.pk, key.prefix, key.key_hash, key.created_at
        obj._state.adding = False
        messages.warning(request, _("API 密钥（只显示这一次，请立即交给对接方）：%(key)s") % {"key": raw})

    @admin.action(description=_("吊销所选密钥"))
    def revoke(self, request, queryset):
        for key in queryset.filter(revoked_at__isnull=True):
            services.api_key_revoke(key=key, actor=request.user)
            self.log_change(request, key, [{"changed": {"fields": ["revoked_at"]}}])
        messages.success(request, _("已吊销"))

    def has_delete_permission(self, request, obj=None):
        return False  # revoked keys stay, with who revoked them
