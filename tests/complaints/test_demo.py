"""Demo data: realistic mix, the SZ fee spike the analytics should find, idempotent."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone

from accounts import demo as accounts_demo
from complaints import demo
from complaints.demo import _month_start
from complaints.models import Complaint, ReferenceCounter

pytestmark = pytest.mark.django_db


def test_quick_demo_has_the_mix_and_spike_and_is_idempotent():
    accounts_demo.seed()
    demo.seed(stdout=io.StringIO(), options={"quick": True, "complaints": 20000})
    n = Complaint.objects.count()
    assert 300 <= n <= 360
    credit = Complaint.objects.filter(code_b__code__startswith="B0302").count()
    assert 0.35 < credit / n < 0.65
    assert Complaint.objects.filter(is_repeat=True, repeat_of__isnull=False).exists()
    assert Complaint.objects.filter(is_regulator_referred=True).exclude(regulator_reference="").exists()
    assert Complaint.objects.values("responsible_org").distinct().count() >= 8
    assert set(Complaint.objects.values_list("status", flat=True)) == {"registered"}
    # Spike: SZ's B030202 in the last full month + this month vs the monthly baseline before.
    today = timezone.localdate()
    spike_from = _month_start(today, 1)
    sz = Complaint.objects.filter(responsible_org__path__startswith="HO/SZ/", code_b__code="B030202")
    recent = sz.filter(received_at__date__gte=spike_from).count()
    before = sz.filter(received_at__date__lt=spike_from, received_at__date__gte=today - dt.timedelta(days=330)).count()
    months_recent = 1 + today.day / 30
    assert recent / months_recent > 1.5 * (before / 9.5)
    # References match the counter, so the next registration continues the sequence.
    year = timezone.localdate().year
    last = Complaint.objects.filter(reference__startswith=f"VOC-{year}-").order_by("-reference").first().reference
    assert int(last.rsplit("-", 1)[1]) == ReferenceCounter.objects.get(year=year).last
    demo.seed(stdout=io.StringIO(), options={"quick": True})
    assert Complaint.objects.count() == n
