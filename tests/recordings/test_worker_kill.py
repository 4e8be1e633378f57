"""Fault test (QUALITY.md "Faults"): a real Celery worker is killed with SIGKILL in the middle
of a transcription; after a new worker starts and the sweeper runs, the job completes exactly
once.

Real parts: two ``celery worker --pool solo`` subprocesses, a filesystem broker in a temp dir,
the PostgreSQL test database (a subprocess cannot see pytest-django's in-memory SQLite, so
the test is PostgreSQL-only), the upload service, faster-whisper tiny.en on ~80 s of espeak
speech. The worker renews its short lease by a heartbeat while it works; the test shortens
the heartbeat and the lease (set in the workers' environment) so a dead worker's lease runs
out in seconds. Time is not moved in the database.
"""

from __future__ import annotations

import time
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from recordings.models import CallRecording
from recordings.pipeline import transcribe_audio
from recordings.services import recording_upload, recordings_sweep
from recordings.speech import audio
from tests.complaints.factories import ComplaintFactory

from .conftest import MODEL_CACHE, tts, upload_of
from .worker_support import REAL_WORKER_MARKS, Worker, filesystem_broker, speech_env, wait_for

S = CallRecording.Status

pytestmark = REAL_WORKER_MARKS

# A long call (~80 s) so the job is still running when the worker is killed.
SENTENCES = [
    "Hello, I am calling to complain about the annual fee on my credit card.",
    "The bank charged me twice for the same payment last month.",
    "I asked the branch to refund the money but nobody called me back.",
    "The service at the counter was slow and the manager was not available.",
]
CALL_TEXT = " ".join(SENTENCES * 4)
EXPECTED_WORDS = ("complain", "annual fee", "credit card", "charged", "refund", "branch", "manager")

HEARTBEAT_S, LEASE_TTL_S = 1, 4  # production: 5 s and 30 s


def _row(pk: int) -> CallRecording:
    return CallRecording.objects.get(pk=pk)


def test_worker_killed_mid_transcription_completes_exactly_once_after_restart(org_tree, make_user, tmp_path):
    from accounts import roles

    var_dir, logs = tmp_path / "var", tmp_path / "logs"
    logs.mkdir()
    worker_env = speech_env(
        VOC_RECORDING_MAX_ATTEMPTS="3",
        VOC_RECORDING_HEARTBEAT_S=str(HEARTBEAT_S),
        VOC_RECORDING_LEASE_TTL_S=str(LEASE_TTL_S),
    )
    workers: list[Worker] = []

    def start(name: str) -> Worker:
        w = Worker(name, var_dir, logs, worker_env)
        workers.append(w)
        return w

    try:
        with filesystem_broker(var_dir):
            first = start("first")
            wav = tts(tmp_path / "long_call.wav", CALL_TEXT)
            handler = make_user(roles.BRANCH_HANDLER, org_tree.bj)
            case = ComplaintFactory(responsible_org=org_tree.bj)
            first.wait_ready()

            # Upload through the service: the job is sent to the filesystem broker on commit.
            rec = recording_upload(uploaded_by=handler, upload=upload_of(wav), complaint=case, language="en").recording
            assert rec.duration_s and rec.duration_s > 60

            wait_for(
                lambda: _row(rec.pk).status == S.PROCESSING,
                timeout=60,
                interval=0.05,
                what=lambda: f"the first worker to claim the job; its log:\n{first.log()}",
            )
            first_lease = _row(rec.pk).lease_until
            time.sleep(2.5)  # let it get into decoding / transcription (and beat twice)
            assert _row(rec.pk).status == S.PROCESSING, "the job finished before the kill: make the call longer"
            assert _row(rec.pk).lease_until > first_lease  # the heartbeat renews the lease while it works
            first.kill9()
            killed_at = timezone.now()

            stuck = _row(rec.pk)
            assert first.proc.returncode == -9
            assert stuck.status == S.PROCESSING and stuck.attempts == 1
            assert stuck.finished_at is None and stuck.segments.count() == 0
            assert stuck.lease_until and stuck.lease_until > timezone.now()
            # The dead worker's lease runs out within one lease time of the kill (not minutes).
            assert (stuck.lease_until - killed_at).total_seconds() <= LEASE_TTL_S + 0.5
            # A live lease is not taken away: the sweeper leaves the job alone...
            assert recordings_sweep()["requeued"] == 0

            second = start("second")
            second.wait_ready()
            assert _row(rec.pk).status == S.PROCESSING and _row(rec.pk).attempts == 1
            # ...and nothing else picks it up: kombu's filesystem transport deletes a message when a
            # worker fetches it, so the killed worker's message died with it; only the sweeper helps.
            time.sleep(max(0.0, (stuck.lease_until - timezone.now()).total_seconds()) + 0.5)
            assert _row(rec.pk).status == S.PROCESSING and _row(rec.pk).attempts == 1

            # The lease has really expired: the sweeper queues the job again, the new worker runs it.
            assert recordings_sweep() == {"requeued": 1, "failed": 0, "resent": 0}
            wait_for(
                lambda: _row(rec.pk).status not in (S.QUEUED, S.PROCESSING),
                timeout=180,
                interval=0.5,
                what=lambda: f"the job to finish; worker log:\n{second.log()}",
            )
            # A second sweep finds nothing to do (the job is not run a third time).
            assert recordings_sweep() == {"requeued": 0, "failed": 0, "resent": 0}
    finally:
        for w in workers:
            w.stop()

    done = _row(rec.pk)
    assert done.status == S.DONE, f"{done.status}: {done.failure_reason}\n{second.log()}"
    assert done.attempts == 2 and done.losses == 1 and done.lease_until is None and done.finished_at
    assert done.model_name == "pkg:tiny.en"
    segs = list(done.segments.order_by("index"))
    assert [s.index for s in segs] == list(range(len(segs)))
    starts = [s.start for s in segs]
    assert len(set(starts)) == len(starts) and starts == sorted(starts)
    text = " ".join(s.text_original for s in segs).lower()
    for word in EXPECTED_WORDS:
        assert word in text, word
    assert text.count("annual fee") >= 3  # the whole call, not a fragment of it

    # Same structure as a clean, uninterrupted run of the same pipeline on the same audio.
    clean_wav = tmp_path / "clean16k.wav"
    audio.decode_to_wav16k(Path(done.file.path), clean_wav, timeout_s=120)
    clean = transcribe_audio(
        clean_wav,
        engine_name="faster-whisper",
        model_spec="pkg:tiny.en",
        cache_dir=MODEL_CACHE,
        language="en",
        cpu_threads=settings.TRANSCRIPTION_CPU_THREADS,
    )
    assert [(round(s.start, 2), s.text_original) for s in segs] == [(round(s.start, 2), s.text) for s in clean.segments]

    # Both workers logged their receipt of the job; the first never logged an outcome.
    assert first.log().count("recording_transcribe_task") >= 1
    assert "succeeded" not in first.log()
    assert "succeeded" in second.log()
