"""Factories for complaints. They build rows directly (test fixtures); code under
test must still go through the services."""

from __future__ import annotations

import factory
from django.utils import timezone

from complaints.grams import cjk_grams
from complaints.models import ClassificationCode, Complaint, Customer


def code(value: str) -> ClassificationCode:
    return ClassificationCode.objects.get(code=value)


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"张{n}")
    surname = "张"
    title = Customer.Title.MR
    mobile_masked = "138****5678"


class ComplaintFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Complaint

    reference = factory.Sequence(lambda n: f"VOC-2026-{n + 1:07d}")
    channel = Complaint.Channel.HOTLINE
    code_a = factory.LazyFunction(lambda: code("A0302"))
    code_b = factory.LazyFunction(lambda: code("B030202"))
    code_c = factory.LazyFunction(lambda: code("C03"))
    summary = "信用卡年费争议"
    details = "客户称未开卡即被收取年费。"
    # The intake service writes the search grams with the text; rows built here do the same.
    search_grams = factory.LazyAttribute(lambda o: cjk_grams(o.summary, o.details))
    received_at = factory.LazyFunction(timezone.now)
    customer = factory.SubFactory(CustomerFactory)
    responsible_org = None  # pass an Organisation
