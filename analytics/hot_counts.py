"""The weekly per-term call counts behind the hot-topic panel (issue 16): writes.

``HotTermCount`` holds, per (ISO week, org, business code, term), in how many calls the term was
said; ``HotTermCall`` says which bucket each call was counted in and from which stored transcript.
The panel sums counts instead of reading half a year of transcript text.

Only the redacted text is read (``text_redacted``; the customer's segments where a call has
speaker labels, else all), through ``hot_terms.call_terms``: masks, digits and spoken numbers
never become terms.

Kept in step (``sync``), by the hooks in ``AnalyticsConfig.ready`` (analytics listens, nobody
imports it): a recording saved (transcript stored, linked to a case, re-dated; recordings sends
``recording_transcribed`` in the storing transaction too), a complaint's org or codes changed
(``complaints_changed``) and a recording deleted. A call is counted when its status is done and it
has segments. A call that moves is taken out of its old bucket with the terms of its (unchanged)
text; a call whose transcript was replaced or deleted cannot be, so its old bucket is recounted
from the text of the calls left in it. ``rebuild`` recounts everything (``manage.py
hot_terms_rebuild``: the backfill, and the repair after bulk writes that bypass the models).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Min
from django.utils import timezone

from recordings.models import CallRecording, TranscriptSegment

from . import hot_terms
from .models import HotTermCall, HotTermCount

Bucket = tuple  # (week, org_id, code_id)
BATCH = 2000


def _bucket(rec: CallRecording) -> Bucket:
    when = rec.call_started_at or rec.created_at
    day = timezone.localdate(when) if timezone.is_aware(when) else when.date()
    if rec.complaint_id:
        return (hot_terms.week_of(day), rec.complaint.responsible_org_id, rec.complaint.code_b_id or 0)
    return (hot_terms.week_of(day), rec.owner_org_id, 0)


def call_texts(ids: Iterable[int]) -> dict[int, list[str]]:
    """Redacted texts per call; the customer's only where a call has speaker labels."""
    ids = list(ids)
    per: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for start in range(0, len(ids), 1000):
        rows = (
            TranscriptSegment.objects.filter(recording_id__in=ids[start : start + 1000])
            .order_by("recording_id", "index")
            .values_list("recording_id", "text_redacted", "speaker")
        )
        for rid, text, speaker in rows:
            per[rid].append((text, speaker))
    out: dict[int, list[str]] = {}
    for rid, segs in per.items():
        customer = [t for t, s in segs if s == TranscriptSegment.Speaker.CUSTOMER]
        out[rid] = customer or [t for t, _s in segs]
    return out


def _apply(deltas: Counter) -> None:
    """Add ``deltas`` ((week, org, code, term) -> +/- calls) to the counts (one upsert per batch);
    rows that reach 0 are removed."""
    rows = [(w, o, c, t, n) for (w, o, c, t), n in deltas.items() if n]
    if not rows:
        return
    table = connection.ops.quote_name(HotTermCount._meta.db_table)
    sql = (
        f"INSERT INTO {table} (week, org_id, code_id, term, calls) VALUES (%s, %s, %s, %s, %s) "
        f"ON CONFLICT (week, org_id, code_id, term) DO UPDATE SET calls = {table}.calls + EXCLUDED.calls"
    )
    # a negative delta is only ever applied to a row that exists (the call was counted in it)
    with connection.cursor() as cur:
        for i in range(0, len(rows), BATCH):
            cur.executemany(sql, rows[i : i + BATCH])
    if any(n < 0 for *_k, n in rows):
        weeks = {w for w, *_r in rows}
        HotTermCount.objects.filter(week__in=weeks, calls__lte=0).delete()


def _terms_of(ids: Iterable[int]) -> dict[int, set[str]]:
    return {rid: hot_terms.call_terms(texts) for rid, texts in call_texts(ids).items()}


def _recount(buckets: set[Bucket]) -> None:
    """Count the buckets again from the text of the calls counted in them."""
    for week, org, code in sorted(buckets):
        HotTermCount.objects.filter(week=week, org_id=org, code_id=code).delete()
        ids = list(HotTermCall.objects.filter(week=week, org_id=org, code_id=code).values_list("pk", flat=True))
        deltas: Counter = Counter()
        for found in _terms_of(ids).values():
            deltas.update((week, org, code, t) for t in found)
        _apply(deltas)


def sync(recording_ids: Iterable[int]) -> None:
    """Bring the counts of these recordings in step with what they are now (idempotent)."""
    ids = sorted({int(i) for i in recording_ids})
    if not ids:
        return
    with transaction.atomic():
        recs = {
            r.pk: r
            for r in CallRecording.objects.filter(pk__in=ids, status=CallRecording.Status.DONE).select_related(
                "complaint"
            )
        }
        keys = dict(
            TranscriptSegment.objects.filter(recording_id__in=list(recs))
            .values("recording_id")
            .annotate(k=Min("id"))
            .values_list("recording_id", "k")
        )
        ledger = {c.pk: c for c in HotTermCall.objects.select_for_update().filter(pk__in=ids)}
        add: dict[int, Bucket] = {}  # counted from their text into this bucket
        take: dict[int, Bucket] = {}  # taken out with the terms of their (unchanged) text
        recount: set[Bucket] = set()  # text gone or replaced: count the bucket again
        for pk in ids:
            rec, old = recs.get(pk), ledger.get(pk)
            new = _bucket(rec) if rec is not None and pk in keys else None
            was = (old.week, old.org_id, old.code_id) if old else None
            if old and new and old.transcript_key == keys[pk]:
                if was == new:
                    continue
                take[pk], add[pk] = was, new
            elif old:
                recount.add(was)
                if new:
                    add[pk] = new
            elif new:
                add[pk] = new
        if not (add or take or recount):
            return
        found = _terms_of(set(add) | set(take))
        deltas: Counter = Counter()
        for pk, (w, o, c) in take.items():
            deltas.update({(w, o, c, t): -1 for t in found.get(pk, ())})
        for pk, (w, o, c) in add.items():
            if (w, o, c) not in recount:  # a recounted bucket counts its members itself
                deltas.update((w, o, c, t) for t in found.get(pk, ()))
        HotTermCall.objects.filter(pk__in=[pk for pk in ids if pk in ledger and pk not in add]).delete()
        for pk, (w, o, c) in add.items():
            HotTermCall.objects.update_or_create(
                pk=pk, defaults={"week": w, "org_id": o, "code_id": c, "transcript_key": keys[pk]}
            )
        _apply(deltas)
        _recount(recount)


def rebuild(*, stdout=None) -> int:
    """Recount every transcribed call from its redacted text (the backfill). Returns the number of
    calls counted."""
    with transaction.atomic():
        HotTermCount.objects.all().delete()
        HotTermCall.objects.all().delete()
        done = CallRecording.objects.filter(status=CallRecording.Status.DONE).select_related("complaint")
        all_ids = list(done.order_by("pk").values_list("pk", flat=True))
        counted = 0
        for start in range(0, len(all_ids), BATCH):
            chunk = all_ids[start : start + BATCH]
            recs = {r.pk: r for r in done.filter(pk__in=chunk)}
            keys = dict(
                TranscriptSegment.objects.filter(recording_id__in=chunk)
                .values("recording_id")
                .annotate(k=Min("id"))
                .values_list("recording_id", "k")
            )
            found = _terms_of(keys)
            deltas: Counter = Counter()
            calls = []
            for pk, key in keys.items():
                w, o, c = _bucket(recs[pk])
                calls.append(HotTermCall(recording_id=pk, week=w, org_id=o, code_id=c, transcript_key=key))
                deltas.update((w, o, c, t) for t in found.get(pk, ()))
            HotTermCall.objects.bulk_create(calls)
            # one chunk's deltas: rows may already exist from an earlier chunk (upsert adds)
            _apply(deltas)
            counted += len(calls)
            if stdout is not None:
                stdout.write(f"hot terms: {counted} / {len(all_ids)} calls counted")
    return counted


# --- hooks (connected in AnalyticsConfig.ready) ------------------------------------------


def on_recording_saved(sender, instance, **kwargs) -> None:
    if kwargs.get("raw"):
        return
    if instance.status == CallRecording.Status.DONE or HotTermCall.objects.filter(pk=instance.pk).exists():
        sync([instance.pk])


def on_recording_transcribed(sender, recording_id, **kwargs) -> None:
    sync([recording_id])


def on_recording_deleted(sender, instance, **kwargs) -> None:
    if HotTermCall.objects.filter(pk=instance.pk).exists():
        sync([instance.pk])


def on_complaints_changed(sender, complaint_ids, created: bool = False, **kwargs) -> None:
    if created:  # a case just registered has no counted call yet: a call linked to it syncs on its own save
        return
    ids = list(
        CallRecording.objects.filter(complaint_id__in=list(complaint_ids), status=CallRecording.Status.DONE)
        .order_by()
        .values_list("pk", flat=True)
    )
    sync(ids)
