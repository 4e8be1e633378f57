"""Two transcription workers on one queue (issue 12: "test two workers on one queue"): real
``celery worker`` processes share the transcription queue, as workers on other machines do
(README, "More transcription workers on other machines"); every job runs exactly once and both
workers take a share.

Real parts: two ``celery worker --pool solo`` subprocesses with their own node names, a shared
filesystem broker, the PostgreSQL test database (PostgreSQL only: a subprocess cannot open
pytest-django's in-memory SQLite), the upload service, faster-whisper tiny.en on espeak speech.
"""

from __future__ import annotations

from accounts import roles
from recordings.models import CallRecording
from recordings.services import recording_upload, recordings_sweep
from tests.complaints.factories import ComplaintFactory

from .conftest import tts, upload_of
from .worker_support import REAL_WORKER_MARKS, Worker, filesystem_broker, speech_env, wait_for

S = CallRecording.Status

pytestmark = REAL_WORKER_MARKS

# (what the caller says, a word its transcript must hold: results land on the right recording)
CALLS = [
    ("I want to complain about the annual fee on my credit card, it is far too high.", "fee"),
    ("The branch charged me twice for one transfer and nobody has refunded it.", "transfer"),
    ("Your mobile banking app logs me out every time I try to pay a bill.", "mobile"),
    ("The staff at the counter were rude and the queue took two hours.", "counter"),
    ("I was sold an insurance product that I never asked for.", "insurance"),
    ("The cash machine kept my card and the branch cannot explain why.", "machine"),
]


def test_two_workers_share_one_queue_and_run_every_job_exactly_once(org_tree, make_user, tmp_path):
    var_dir, logs = tmp_path / "var", tmp_path / "logs"
    logs.mkdir()
    env = speech_env()
    handler = make_user(roles.BRANCH_HANDLER, org_tree.bj)
    wavs = [tts(tmp_path / f"call{i}.wav", text) for i, (text, _word) in enumerate(CALLS)]
    workers = [Worker("alpha", var_dir, logs, env), Worker("beta", var_dir, logs, env)]
    try:
        with filesystem_broker(var_dir):
            for w in workers:
                w.wait_ready()
            pks = []
            for wav in wavs:  # each job is sent to the shared queue when its upload commits
                case = ComplaintFactory(responsible_org=org_tree.bj)
                pks.append(
                    recording_upload(
                        uploaded_by=handler, upload=upload_of(wav), complaint=case, language="en"
                    ).recording.pk
                )

            def finished():
                rows = CallRecording.objects.filter(pk__in=pks)
                return all(r.status not in (S.QUEUED, S.PROCESSING) for r in rows)

            wait_for(finished, timeout=300, interval=0.5, what=lambda: "\n".join(w.log() for w in workers))
            assert recordings_sweep() == {"requeued": 0, "failed": 0, "resent": 0}  # nothing left over
    finally:
        for w in workers:
            w.stop()

    rows = {r.pk: r for r in CallRecording.objects.filter(pk__in=pks)}
    heard = 0
    for i, pk in enumerate(pks):
        r = rows[pk]
        assert r.status == S.DONE, f"{r.status}: {r.failure_reason}"
        assert (r.attempts, r.losses) == (1, 0)  # ran once: no second worker picked it up
        text = " ".join(s.text_original for s in r.segments.order_by("index")).lower()
        # Results land on the right recording: a transcript holds its own call's word and no
        # other call's. (On some CPUs tiny.en hears nothing in one of these synthetic calls; an
        # empty transcript is the recogniser's, not a mix-up.)
        assert not any(word in text for j, (_t, word) in enumerate(CALLS) if j != i), text
        if text.strip():
            assert CALLS[i][1] in text, text
            heard += 1
    assert heard >= len(CALLS) - 1, heard
    # Transcription jobs only: each transcribed call also queues its call-QA scoring (callqa).
    done = {
        w.name: sum(
            "recordings.tasks.recording_transcribe_task" in line and "succeeded" in line
            for line in w.log_path.read_text(errors="replace").splitlines()
        )
        for w in workers
    }
    assert sum(done.values()) == len(CALLS), done  # every job succeeded on exactly one worker
    assert all(n >= 1 for n in done.values()), done  # and both took a share of the queue
