"""The customer's contact preferences form (customer page; stored by ``services.customer_contact_set``)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import ContactChannel, ContactTime, Customer


class ContactPreferenceForm(forms.Form):
    contact_channel = forms.ChoiceField(
        label=_("首选联系方式"), choices=[("", _("未说明"))] + ContactChannel.choices, required=False
    )
    contact_time = forms.ChoiceField(
        label=_("方便联系时间"), choices=[("", _("未说明"))] + ContactTime.choices, required=False
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    @classmethod
    def for_customer(cls, customer: Customer, *, next_url: str = "") -> ContactPreferenceForm:
        return cls(
            initial={
                "contact_channel": customer.contact_channel,
                "contact_time": customer.contact_time,
                "next": next_url,
            }
        )
