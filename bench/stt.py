"""Speech-to-text benchmark: faster-whisper vs openai-whisper on the same files, one run (not a test).

    .venv/bin/python bench/stt.py [--minutes 1.5] [--model pkg:base] [--skip-openai]

Audio (made or found on this machine, no downloads):
- 8 kHz telephone-quality English and Mandarin calls made with espeak-ng (Mandarin with the
  ``cmn-latn-pinyin`` voice: robotic, so its CER is a relative figure), sentences with pauses and
  one long hold silence, ``--minutes`` long each (1-5 min);
- Debian ``pocketsphinx-testdata`` LibriVox clips (real read speech, reference transcripts) at
  16 kHz and downsampled to 8 kHz.

Per engine, in a fresh subprocess each (so peak RSS = that process's VmHWM): load time,
wall time, real-time factor (wall / audio), WER (English) / CER (Mandarin), peak RSS. Then
throughput of two faster-whisper jobs side by side with ``cpu_threads=1`` against one job with
two threads, on the same files. Writes bench/results/stt-<date>.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
import wave
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.memory import peak_rss_mib  # noqa: E402

LIBRIVOX = Path("/usr/share/pocketsphinx/test/data/librivox")

EN_SENTENCES = [
    "Hello, I am calling about my credit card.",
    "The bank charged me twice for the same payment last month.",
    "I have already called customer service three times.",
    "Nobody has called me back, and I am very unhappy.",
    "I want the annual fee refunded to my account.",
    "The branch manager told me to wait two weeks.",
    "Please send me a written answer about this complaint.",
    "My mortgage payment was taken from the wrong account.",
    "The mobile banking app does not let me log in.",
    "Thank you, I will wait for your reply.",
]
# (pinyin for espeak, hanzi reference)
ZH_SENTENCES = [
    ("yin2 hang2 de fu2 wu4 tai4 cha4 le.", "银行的服务太差了"),
    ("wo3 yao4 tou2 su4 fu2 wu4.", "我要投诉服务"),
    ("wo3 de xin4 yong4 ka3 bei4 chong2 fu4 kou4 kuan3 le.", "我的信用卡被重复扣款了"),
    ("qing3 bang1 wo3 tui4 kuan3.", "请帮我退款"),
    ("ni3 hao3, wo3 xiang3 wen4 yi2 xia4 xin4 yong4 ka3 de wen4 ti2.", "你好我想问一下信用卡的问题"),
    ("wo3 de qian2 mei2 you3 le, qing3 bang1 wo3 cha2 yi2 xia4.", "我的钱没有了请帮我查一下"),
    ("nian2 fei4 tai4 gao1 le.", "年费太高了"),
    ("ke4 fu2 dian4 hua4 yi4 zhi2 da3 bu4 tong1.", "客服电话一直打不通"),
    ("wo3 yi3 jing1 deng3 le san1 tian1 le.", "我已经等了三天了"),
    ("xie4 xie4 ni3 de bang1 zhu4.", "谢谢你的帮助"),
]


# --------------------------------------------------------------------------- metrics


def edit_distance(a: list[str], b: list[str]) -> int:
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i]
        for j, y in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y)))
        prev = cur
    return prev[-1]


# Whisper writes titles abbreviated ("Mr. John Dashwood"), references spell them out ("mister
# john dashwood"); without this every title counts as a word error (1 of the 71 LibriVox words).
# Whisper's own English normaliser does the same.
EN_SPELLINGS = {"mr": "mister", "mrs": "missus", "dr": "doctor"}


def en_tokens(text: str) -> list[str]:
    return [EN_SPELLINGS.get(t, t) for t in re.findall(r"[a-z0-9']+", text.lower())]


def zh_tokens(text: str) -> list[str]:
    return [c for c in text if "\u4e00" <= c <= "\u9fff" or c.isdigit()]


def error_rate(ref: str, hyp: str, lang: str) -> float:
    tok = zh_tokens if lang == "zh" else en_tokens
    r, h = tok(ref), tok(hyp)
    return edit_distance(r, h) / max(1, len(r))


# --------------------------------------------------------------------------- audio


def run(cmd: list[str]) -> None:
    subprocess.run(cmd, check=True, capture_output=True, timeout=600)


def duration(path: Path) -> float:
    with wave.open(str(path), "rb") as w:
        return w.getnframes() / w.getframerate()


def make_call(out: Path, lang: str, minutes: float, work: Path) -> tuple[Path, str]:
    """Sentences (cycled) with 0.5-2 s pauses and one 15 s hold silence, 8 kHz mono."""
    parts, refs, total, i = [], [], 0.0, 0
    while total < minutes * 60:
        if lang == "en":
            text, ref, voice, speed = EN_SENTENCES[i % len(EN_SENTENCES)], None, "en", "150"
            ref = text
        else:
            text, ref = ZH_SENTENCES[i % len(ZH_SENTENCES)]
            voice, speed = "cmn-latn-pinyin", "130"
        wav = work / f"{lang}-{i}.wav"
        run(["espeak-ng", "-v", voice, "-s", speed, "-w", str(wav), text])
        tel = work / f"{lang}-{i}-8k.wav"
        pause = 15.0 if i == 4 else 0.5 + (i * 0.37) % 1.5
        run(["sox", "-R", "-V1", str(wav), "-r", "8000", "-c", "1", "-b", "16", str(tel), "pad", "0", f"{pause:.2f}"])
        parts.append(tel)
        refs.append(ref)
        total += duration(tel)
        i += 1
    run(["sox", "-R", "-V1", "--combine", "concatenate", *map(str, parts), str(out)])
    return out, (" " if lang == "en" else "").join(refs)


def librivox(work: Path) -> list[tuple[Path, str, str]]:
    if not LIBRIVOX.is_dir():
        return []
    refs = {}
    for line in (LIBRIVOX / "transcription").read_text().splitlines():
        m = re.match(r"<s>(.*)</s>\s*\((.+)\)", line.strip())
        if m:
            refs[m.group(2)] = m.group(1).strip()
    files = sorted(LIBRIVOX.glob("*.wav"))
    # one file of all clips (1-2 s gaps), at 16 kHz and at 8 kHz telephone quality
    gapped = []
    for n, f in enumerate(files):
        g = work / f"lv-{n}.wav"
        run(["sox", "-R", "-V1", str(f), str(g), "pad", "0", "1.5"])
        gapped.append(g)
    lv16 = work / "librivox-16k.wav"
    run(["sox", "-R", "-V1", "--combine", "concatenate", *map(str, gapped), str(lv16)])
    lv8 = work / "librivox-8k.wav"
    run(["sox", "-R", "-V1", str(lv16), "-r", "8000", str(lv8)])
    ref = " ".join(refs[f.stem] for f in files)
    return [(lv16, "en", ref), (lv8, "en", ref)]


# --------------------------------------------------------------------------- worker


def worker(args: argparse.Namespace) -> None:
    """Runs in its own process: load one engine, transcribe the files, print JSON."""
    from recordings.speech.engines import get_engine

    t0 = time.perf_counter()
    engine = get_engine(
        args.engine,
        model_spec=args.model,
        cache_dir=Path(args.cache),
        cpu_threads=args.threads,
        compute_type=args.compute_type,
    )
    load_s = time.perf_counter() - t0
    if args.warmup:
        # first-call costs (numba JIT of openai-whisper's word alignment, allocator warm-up)
        # are paid once per worker process: keep them out of the per-file figures
        engine.transcribe(args.warmup, "en")
    out = []
    for spec in args.files:
        path, lang = spec.rsplit(":", 1)
        t, c = time.perf_counter(), _cpu()
        result = engine.transcribe(path, lang)
        out.append(
            {
                "file": path,
                "wall_s": time.perf_counter() - t,
                "cpu_s": _cpu() - c,
                "text": result.text,
                "lang": result.language,
            }
        )
    peak_kib = peak_rss_mib() * 1024
    print(json.dumps({"load_s": load_s, "files": out, "peak_mib": peak_kib / 1024}))


def _cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def spawn(
    engine: str,
    files: list[tuple[Path, str]],
    *,
    model: str,
    cache: Path,
    threads: int,
    compute_type: str,
    warmup: Path | None = None,
):
    cmd = [sys.executable, __file__, "--worker", "--engine", engine, "--model", model, "--cache", str(cache)]
    if warmup:
        cmd += ["--warmup", str(warmup)]
    cmd += ["--threads", str(threads), "--compute-type", compute_type, "--files", *[f"{p}:{lang}" for p, lang in files]]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def collect(proc) -> dict:
    stdout, stderr = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"worker failed:\n{stderr[-3000:]}")
    return json.loads(stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- main


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--minutes", type=float, default=1.5, help="length of each synthetic call (1-5)")
    p.add_argument("--model", default="pkg:base")
    p.add_argument("--cache", default=str(ROOT / "var" / "models"))
    p.add_argument("--skip-openai", action="store_true")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--engine", help=argparse.SUPPRESS)
    p.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    p.add_argument("--compute-type", default="int8", help=argparse.SUPPRESS)
    p.add_argument("--files", nargs="*", help=argparse.SUPPRESS)
    p.add_argument("--warmup", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        worker(args)
        return

    cache = Path(args.cache)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="stt-bench-") as tmp:
        work = Path(tmp)
        print("==> making audio", flush=True)
        en, en_ref = make_call(work / "call-en-8k.wav", "en", args.minutes, work)
        zh, zh_ref = make_call(work / "call-zh-8k.wav", "zh", args.minutes, work)
        items = [(en, "en", en_ref), (zh, "zh", zh_ref), *librivox(work)]
        names = {
            en: "English call, espeak, 8 kHz",
            zh: "Mandarin call, espeak pinyin, 8 kHz",
        }
        for path, _, _ in items[2:]:
            names[path] = "LibriVox (5 clips), " + ("16 kHz" if "16k" in path.name else "8 kHz")
        durations = {path: duration(path) for path, _, _ in items}
        warm = work / "warmup.wav"
        run(["espeak-ng", "-v", "en", "-w", str(warm), "Warming up the model before measuring."])
        files = [(path, lang) for path, lang, _ in items]

        # warm the model cache (assembly/conversion) outside the measurements
        from recordings.speech.models import resolve_model, resolve_openai_checkpoint

        resolve_model(args.model, cache_dir=cache)
        engines = ["faster-whisper"] if args.skip_openai else ["faster-whisper", "openai-whisper"]
        if "openai-whisper" in engines:
            resolve_openai_checkpoint(args.model, cache_dir=cache)

        runs = {}
        for engine in engines:
            print(f"==> {engine}, 1 thread", flush=True)
            ctype = "int8" if engine == "faster-whisper" else "float32"
            t = time.perf_counter()
            runs[engine] = collect(
                spawn(engine, files, model=args.model, cache=cache, threads=1, compute_type=ctype, warmup=warm)
            )
            runs[engine]["total_wall_s"] = time.perf_counter() - t

        print("==> faster-whisper throughput: 2 jobs x 1 thread vs 1 job x 2 threads", flush=True)
        # each configuration transcribes every file twice (the same work), timed end to end
        t = time.perf_counter()
        procs = [
            spawn("faster-whisper", files, model=args.model, cache=cache, threads=1, compute_type="int8")
            for _ in range(2)
        ]
        par = [collect(pr) for pr in procs]
        parallel_s = time.perf_counter() - t
        t = time.perf_counter()
        seq = collect(
            spawn("faster-whisper", files + files, model=args.model, cache=cache, threads=2, compute_type="int8")
        )
        sequential_s = time.perf_counter() - t

    load_after = os.getloadavg()
    audio_total = sum(durations.values())
    lines = [
        f"# Speech-to-text benchmark — {date.today().isoformat()}",
        "",
        f"Machine: {platform.node()}, {os.cpu_count()} cores, {platform.platform()}, Python {platform.python_version()}.",
        f"Load average before/after: {load_before[0]:.2f} / {load_after[0]:.2f} "
        "(other jobs on this machine inflate wall times; compare engines within this run).",
        f"Model `{args.model}`: faster-whisper int8 (CTranslate2), openai-whisper float32 (PyTorch, converted "
        "from the same weights). Both with the same Silero VAD clips (`speech_clips`: pauses < 5 s kept, longer "
        "ones skipped), beam 5 at temperature 0 (no sampling fallback), word timestamps, `condition_on_previous_text=False`.",
        "Each engine runs in its own process with 1 CPU thread, after one warm-up transcription (not timed);",
        "peak = that process's VmHWM. CPU = user+sys seconds of the process, less sensitive than wall time",
        "to other jobs on the machine.",
        "",
        "| audio | length | engine | wall | RTF (wall) | CPU | RTF (CPU) | WER/CER | text (start) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for path, lang, ref in items:
        for engine in engines:
            rec = next(r for r in runs[engine]["files"] if r["file"] == str(path))
            err = error_rate(ref, rec["text"], lang)
            metric = "CER" if lang == "zh" else "WER"
            snippet = rec["text"][:60].replace("|", "/")
            lines.append(
                f"| {names[path]} | {durations[path]:.0f} s | {engine} | {rec['wall_s']:.1f} s | "
                f"{rec['wall_s'] / durations[path]:.2f} | {rec['cpu_s']:.1f} s | {rec['cpu_s'] / durations[path]:.2f} | "
                f"{metric} {err:.3f} | {snippet} |"
            )
    lines += [
        "",
        "| engine | model load | all files wall | RTF (wall) | all files CPU | RTF (CPU) | peak RSS |",
        "|---|---|---|---|---|---|---|",
    ]
    for engine in engines:
        r = runs[engine]
        wall = sum(f["wall_s"] for f in r["files"])
        cpu = sum(f["cpu_s"] for f in r["files"])
        lines.append(
            f"| {engine} | {r['load_s']:.1f} s | {wall:.1f} s | {wall / audio_total:.2f} | {cpu:.1f} s | "
            f"{cpu / audio_total:.2f} | {r['peak_mib']:.0f} MiB |"
        )
    if len(engines) == 2:
        fw, ow = (runs[e]["files"] for e in ("faster-whisper", "openai-whisper"))
        lines.append("")
        lines.append(
            "openai-whisper / faster-whisper: "
            f"{sum(f['wall_s'] for f in ow) / sum(f['wall_s'] for f in fw):.1f}x the wall time, "
            f"{sum(f['cpu_s'] for f in ow) / sum(f['cpu_s'] for f in fw):.1f}x the CPU time, "
            f"{runs['openai-whisper']['peak_mib'] / runs['faster-whisper']['peak_mib']:.1f}x the peak memory."
        )
    lines += [
        "",
        f"Throughput (faster-whisper, {2 * audio_total:.0f} s of audio in total, process start and model load included):",
        f"- 2 jobs side by side, 1 thread each: {parallel_s:.1f} s wall → {2 * audio_total / parallel_s:.1f} s of audio "
        f"per second; peak {max(r['peak_mib'] for r in par):.0f} MiB per job",
        f"- 1 job, 2 threads, same files twice: {sequential_s:.1f} s wall → {2 * audio_total / sequential_s:.1f} s of audio "
        f"per second; peak {seq['peak_mib']:.0f} MiB",
        "",
        "References: English calls — the sentences spoken; Mandarin — the hanzi of the pinyin spoken (espeak's",
        "pinyin voice is robotic: judge Mandarin CER relatively); LibriVox — pocketsphinx-testdata transcripts.",
        "WER/CER is edit distance over words (English, lowercased, punctuation removed, Mr/Mrs/Dr spelled out) "
        "or CJK characters.",
    ]
    out = ROOT / "bench" / "results" / f"stt-{date.today().isoformat()}.md"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    print(f"\nwritten: {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
