"""Generated stereo calls with planted QA events and exact truth, for bench/qa.py (issue 16).

Each call is a conversation in English or Mandarin between an agent (first channel) and a customer
(second channel), two espeak-ng voices with their own speed and pitch. Planted, each with its truth:
- required agent phrases present or missing: greeting, recording notice (本次通话将被录音 / "this call
  will be recorded"), identity check, closing;
- forbidden agent phrases: a promise of returns (保本保息, 稳赚 / "guaranteed returns", "sure win") and
  asking for credentials (完整密码, 安全码 / "full password", "CVV"); and, to test that rules read
  the right speaker, the customer quoting a forbidden phrase ("你们的经理说过保本保息");
- a long silence (nobody speaks 12-16 s); over-talk (the customer starts 1-1.8 s before the agent
  has finished: an interruption); a customer loudness and pitch rise (later phrases +8..12 dB and
  espeak pitch +25 over the caller's own start).

Method as bench/deid_corpus.py: every phrase is synthesised on its own (``espeak-ng -w``),
band-limited to 300-3400 Hz at 8 kHz (``sox -R``), placed on its speaker's channel at a known
sample, so each turn's speech start/end is exact (espeak's leading/trailing silence trimmed). Each
channel then gets the other's voice 30 dB down 30 ms late (line echo), and its own seeded noise at
12-25 dB SNR. The stereo file is encoded as uploaded (WAV PCM, WAV μ-law, MP3, OGG Vorbis/Opus),
decoded exactly as production does (``decode_call``), and the codec delay measured per channel by
cross-correlation shifts the truth onto the decoded 16 kHz audio.

Deterministic for a seed. Cached under var/bench/qa/seed<N>/ (not committed).

    .venv/bin/python bench/qa_corpus.py --calls 32 --seed 1
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import wave
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.deid_corpus import (  # noqa: E402
    EN_SENTENCES,
    EN_VOICES,
    ZH_SENTENCES,
    ZH_VARIANTS,
    ZH_VOICE,
    estimate_offset,
    make_noise,
    read_wav,
    speech_extent,
    write_wav,
)

GENERATOR_VERSION = 1
CACHE = ROOT / "var" / "bench" / "qa"
RATE_8K = 8000
RATE_16K = 16000
CODECS = ["pcm_s16le", "mulaw", "mp3", "ogg_vorbis", "ogg_opus"]
ECHO_DB, ECHO_S = -30.0, 0.03

# (espeak text, reference text). English: both the same.
PHRASES = {
    "en": {
        "greeting": ["Good morning, thank you for calling, my name is Anna, how can I help you?",
                     "Hello, welcome to customer service, how may I help you today?"],
        "notice": ["Please note that this call will be recorded.",
                   "Before we start, this call will be recorded for quality purposes."],
        "identity": ["To verify your identity, may I have your date of birth please?",
                     "For security, I need to verify your identity first."],
        "closing": ["Thank you for calling, have a nice day, goodbye.",
                    "Is there anything else? Thank you for calling, goodbye."],
        "forbidden_returns": ["This product has guaranteed returns, you cannot lose money.",
                              "Do not worry, this fund is a sure win."],
        "forbidden_credentials": ["Please tell me your full password so I can check.",
                                  "Can you read me the CVV on the back of your card?"],
        "distractor": ["Your colleague told me it had guaranteed returns.",
                       "The other agent said it was a sure win."],
        "neutral": ["Let me check that for you.", "I understand, I am sorry to hear that.",
                    "I have recorded your complaint and we will handle it within three days.",
                    "The fee was charged according to the terms of your contract.",
                    "I can see the payment on your account from last Tuesday."],
        "answer": ["Yes, of course.", "Sure, it is in March.", "Okay."],
    },
    "zh": {
        "greeting": [("nin2 hao3, hen3 gao1 xing4 wei4 nin2 fu2 wu4, qing3 wen4 you3 shen2 me ke3 yi3 bang1 nin2?",
                      "您好，很高兴为您服务，请问有什么可以帮您？"),
                     ("nin2 hao3, huan1 ying2 zhi4 dian4 ke4 hu4 fu2 wu4 zhong1 xin1.", "您好，欢迎致电客户服务中心。")],
        "notice": [("ben3 ci4 tong1 hua4 jiang1 bei4 lu4 yin1.", "本次通话将被录音。"),
                   ("ti2 xing3 nin2, ben3 ci4 tong1 hua4 jiang1 bei4 lu4 yin1.", "提醒您，本次通话将被录音。")],
        "identity": [("wei4 le he2 shi2 nin2 de shen1 fen4, qing3 ti2 gong1 shen1 fen4 zheng4 hou4 si4 wei4.",
                      "为了核实您的身份，请提供身份证后四位。"),
                     ("xian1 he2 shi2 yi2 xia4 nin2 de shen1 fen4.", "先核实一下您的身份。")],
        "closing": [("gan3 xie4 nin2 de lai2 dian4, zai4 jian4.", "感谢您的来电，再见。"),
                    ("hai2 you3 qi2 ta1 wen4 ti2 ma? gan3 xie4 nin2 de lai2 dian4, zai4 jian4.",
                     "还有其他问题吗？感谢您的来电，再见。")],
        "forbidden_returns": [("zhe4 kuan3 li3 cai2 chan3 pin3 bao3 ben3 bao3 xi1, nin2 fang4 xin1.",
                               "这款理财产品保本保息，您放心。"),
                              ("mai3 zhe4 ge4 ji1 jin1 wen3 zhuan4 bu4 pei2.", "买这个基金稳赚不赔。")],
        "forbidden_credentials": [("qing3 gao4 su4 wo3 nin2 de wan2 zheng3 mi4 ma3.", "请告诉我您的完整密码。"),
                                  ("qing3 ba3 ka3 bei4 mian4 de an1 quan2 ma3 nian4 gei3 wo3.",
                                   "请把卡背面的安全码念给我。")],
        "distractor": [("ni3 men de jing1 li3 shuo1 guo4 zhe4 ge4 chan3 pin3 bao3 ben3 bao3 xi1.",
                        "你们的经理说过这个产品保本保息。"),
                       ("ni3 men shuo1 zhe4 ge4 ji1 jin1 wen3 zhuan4 de.", "你们说这个基金稳赚的。")],
        "neutral": [("hao3 de, wo3 bang1 nin2 cha2 xun2 yi2 xia4.", "好的，我帮您查询一下。"),
                    ("fei1 chang2 bao4 qian4 gei3 nin2 dai4 lai2 bu4 bian4.", "非常抱歉给您带来不便。"),
                    ("wo3 yi3 jing1 wei4 nin2 deng1 ji4 le, hui4 jin3 kuai4 chu3 li3.", "我已经为您登记了，会尽快处理。"),
                    ("zhe4 bi3 fei4 yong4 shi4 an4 zhao4 he2 tong2 shou1 qu3 de.", "这笔费用是按照合同收取的。")],
        "answer": [("hao3 de.", "好的。"), ("dui4, mei2 cuo4.", "对，没错。")],
    },
}  # fmt: skip
REQUIRED = ("greeting", "notice", "identity", "closing")
FORBIDDEN = ("forbidden_returns", "forbidden_credentials")


def _text(lang: str, item) -> tuple[str, str]:
    return (item, item) if lang == "en" else item


def _run(cmd: list[str], timeout: float = 120) -> None:
    proc = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed: {proc.stderr.decode('utf-8', 'replace')[-500:]}")


def synth(text: str, voice: str, speed: int, pitch: int, work: Path) -> np.ndarray:
    """One phrase at 8 kHz in the telephone band (cached by voice, speed, pitch and text)."""
    key = hashlib.sha1(f"{voice}|{speed}|{pitch}|{text}".encode()).hexdigest()[:16]
    tel = work / f"{key}.8k.wav"
    if not tel.exists():
        raw, tmp = work / f"{key}.{os.getpid()}.raw.wav", work / f"{key}.{os.getpid()}.tmp.wav"
        _run(["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", str(raw), text])
        _run(["sox", "-R", "-V1", str(raw), "-r", str(RATE_8K), "-c", "1", "-b", "16", str(tmp), "sinc", "300-3400"])
        raw.unlink()
        os.replace(tmp, tel)
    return read_wav(tel)[0]


def plan_call(index: int, seed: int) -> dict:
    rng = random.Random(f"qa-{seed}-{index}")
    lang = "en" if index % 2 == 0 else "zh"
    if lang == "en":
        voices = rng.sample(EN_VOICES, 2)
        agent_voice = voices[0] + rng.choice(["+f3", "+f2", "+f4", ""])
        customer_voice = voices[1] + rng.choice(["+m3", "+m1", ""])
        speeds = (rng.randint(145, 185), rng.randint(135, 180))
    else:
        agent_voice = ZH_VOICE + rng.choice(["+f3", "+f2", ""])
        customer_voice = ZH_VOICE + rng.choice([v for v in ZH_VARIANTS if v not in ("+f3", "+f2")] or [""])
        speeds = (rng.randint(120, 150), rng.randint(110, 145))
    k = index // 2  # both languages see the same plan mix
    return {
        "index": index,
        "lang": lang,
        "agent_voice": agent_voice,
        "customer_voice": customer_voice,
        "speeds": speeds,
        "pitches": (rng.randint(40, 60), rng.randint(35, 55)),
        "codec": CODECS[(k + seed) % len(CODECS)],
        "snr": (round(rng.uniform(12, 25), 1), round(rng.uniform(12, 25), 1)),
        "noise": rng.choice(["white", "pink", "hum"]),
        # planted events: required phrases each missing in ~1 of 4 calls, the rest on a rotation
        "present": {r: rng.random() > 0.25 for r in REQUIRED},
        "forbidden": [f for f, on in zip(FORBIDDEN, (k % 4 == 1, k % 4 == 2), strict=True) if on],
        "distractor": k % 5 == 3,
        "silence": k % 3 == 1,
        "overtalk": k % 3 == 2 or k % 4 == 0,
        "rise": k % 2 == 1,
    }


def build_call(args: tuple[dict, int, str]) -> dict:
    script, seed, corpus_dir_s = args
    cdir_all = Path(corpus_dir_s)
    rng = random.Random(f"qa-{seed}-{script['index']}-script")
    nprng = np.random.default_rng([seed, script["index"], 7])
    lang = script["lang"]
    call_id = f"q{script['index']:03d}-{lang}"
    cdir = cdir_all / "calls" / call_id
    cdir.mkdir(parents=True, exist_ok=True)
    work = cdir_all / "phrases"
    P = PHRASES[lang]
    voice = {"agent": script["agent_voice"], "customer": script["customer_voice"]}
    speed = dict(zip(("agent", "customer"), script["speeds"], strict=True))
    pitch = dict(zip(("agent", "customer"), script["pitches"], strict=True))

    turns: list[dict] = []  # speaker, tag, text, start, end (8 kHz seconds), samples, gain
    pos = rng.uniform(0.4, 1.0)

    def say(speaker: str, tag: str, item, *, gap: float | None = None, angry: bool = False, at: float | None = None):
        nonlocal pos
        spoken, reference = _text(lang, item)
        p = min(99, pitch[speaker] + (25 if angry else 0))
        x = synth(spoken, voice[speaker], speed[speaker], p, work)
        a, b = speech_extent(x, RATE_8K)
        start = (pos + (rng.uniform(0.3, 1.0) if gap is None else gap)) if at is None else at
        start = max(0.0, start - a / RATE_8K)  # place the speech itself at ``start``
        gain = 10 ** (rng.uniform(8, 12) / 20) if angry else 1.0
        turns.append({"speaker": speaker, "tag": tag, "text": reference, "x": x * gain, "at": start,
                      "start": start + a / RATE_8K, "end": start + b / RATE_8K, "angry": angry})  # fmt: skip
        pos = max(pos, start + b / RATE_8K)
        return turns[-1]

    pr = script["present"]
    if pr["greeting"]:
        say("agent", "greeting", rng.choice(P["greeting"]))
    if pr["notice"]:
        say("agent", "notice", rng.choice(P["notice"]))
    opener = EN_SENTENCES if lang == "en" else ZH_SENTENCES
    complaints = rng.sample(opener, 5)
    say("customer", "complaint", complaints[0])
    say("customer", "complaint", complaints[1], gap=rng.uniform(0.3, 0.6))
    if pr["identity"]:
        say("agent", "identity", rng.choice(P["identity"]))
        say("customer", "answer", rng.choice(P["answer"]))
    say("agent", "neutral", P["neutral"][0])
    say("customer", "complaint", complaints[2])
    if pos < 20.0:  # the caller's own start: their first 20 s
        say("customer", "complaint", complaints[3], gap=rng.uniform(0.3, 0.6))
    if "forbidden_returns" in script["forbidden"]:
        say("agent", "forbidden_returns", rng.choice(P["forbidden_returns"]))
    if script["distractor"]:
        say("customer", "distractor", rng.choice(P["distractor"]))
    say("agent", "neutral", rng.choice(P["neutral"][1:]))
    if script["silence"]:
        pos += rng.uniform(12.0, 16.0)  # nobody speaks (the agent looks something up without a word)
    if script["overtalk"]:
        long_line = say("agent", "neutral", max(P["neutral"], key=lambda i: len(_text(lang, i)[0])))
        at = long_line["end"] - rng.uniform(1.0, 1.8)
        # raised only well past the caller's own start (the first 20 s are the baseline)
        say("customer", "interrupt", complaints[4], at=at, angry=script["rise"] and at >= 22.0)
    if "forbidden_credentials" in script["forbidden"]:
        say("agent", "forbidden_credentials", rng.choice(P["forbidden_credentials"]))
    if script["rise"]:
        pos = max(pos, 25.0)
        say("customer", "angry", complaints[0], angry=True)
        say("customer", "angry", complaints[1], angry=True, gap=rng.uniform(0.3, 0.6))
    else:
        say("customer", "complaint", complaints[4] if not script["overtalk"] else complaints[3])
    say("agent", "neutral", rng.choice(P["neutral"][1:]))
    if pr["closing"]:
        say("agent", "closing", rng.choice(P["closing"]))

    # assemble two channels at 8 kHz
    n = int((pos + rng.uniform(0.6, 1.2)) * RATE_8K) + max(len(t["x"]) for t in turns)
    clean = {"agent": np.zeros(n), "customer": np.zeros(n)}
    for t in turns:
        a = int(round(t["at"] * RATE_8K))
        clean[t["speaker"]][a : a + len(t["x"])] += t["x"]
    end = int((max(t["end"] for t in turns) + rng.uniform(0.6, 1.2)) * RATE_8K)
    for k in clean:
        clean[k] = clean[k][:end]
    ref = max(float(np.sqrt(np.mean(x[np.abs(x) > 1e-4] ** 2))) for x in clean.values())
    scale = 0.1 / ref
    shift = int(ECHO_S * RATE_8K)
    chans = []
    for k, other in (("agent", "customer"), ("customer", "agent")):
        x = clean[k] * scale + np.concatenate([np.zeros(shift), clean[other][:-shift]]) * scale * 10 ** (ECHO_DB / 20)
        own = clean[k][np.abs(clean[k]) > 1e-4] * scale
        snr = script["snr"][0 if k == "agent" else 1]
        power = float(np.mean(own**2))
        x = x + make_noise(script["noise"], len(x), nprng) * np.sqrt(power / 10 ** (snr / 10))
        chans.append(x)
    peak = max(float(np.max(np.abs(c))) for c in chans)
    if peak > 0.89:
        chans = [c * 0.89 / peak for c in chans]
    st8 = cdir / "stereo8k.wav"
    _write_stereo(st8, chans, RATE_8K)
    upload = _encode(st8, cdir / "upload", script["codec"])
    for k, x in zip(("agent", "customer"), chans, strict=True):
        write_wav(cdir / f"clean-{k}-8k.wav", x, RATE_8K)

    from recordings.speech.audio import decode_call

    dec = decode_call(upload, cdir / "decoded", timeout_s=120)
    if not dec.stereo:
        raise RuntimeError(f"{call_id}: decoded as mono ({dec.note})")
    offsets = []
    for k, path in zip(("agent", "customer"), dec.channels, strict=True):
        d, _ = read_wav(path)
        c16 = cdir / f"clean-{k}-16k.wav"
        _run(["sox", "-R", "-V1", str(cdir / f"clean-{k}-8k.wav"), "-r", str(RATE_16K), str(c16)])
        offsets.append(estimate_offset(d, read_wav(c16)[0], RATE_16K))
        c16.unlink()
        (cdir / f"clean-{k}-8k.wav").unlink()
    offset = float(np.median(offsets))
    st8.unlink()
    duration = round(_frames(dec.stereo_wav) / RATE_16K, 3)
    truth_turns = [
        {"speaker": t["speaker"], "tag": t["tag"], "text": t["text"], "angry": t["angry"],
         "start": round(t["start"] + offset, 3), "end": round(t["end"] + offset, 3)}
        for t in sorted(turns, key=lambda t: t["start"])
    ]  # fmt: skip
    call = {
        "call_id": call_id,
        "lang": lang,
        "codec": script["codec"],
        "voices": [script["agent_voice"], script["customer_voice"]],
        "speeds": list(script["speeds"]),
        "snr_db": list(script["snr"]),
        "noise": script["noise"],
        "upload": str(upload.relative_to(cdir_all)),
        "stereo16k": str(dec.stereo_wav.relative_to(cdir_all)),
        "channels16k": [str(p.relative_to(cdir_all)) for p in dec.channels],
        "duration_s": duration,
        "offset_s": offset,
        "present": script["present"],
        "forbidden": script["forbidden"],
        "distractor": script["distractor"],
        "planted_silence": script["silence"],
        "planted_overtalk": script["overtalk"],
        "planted_rise": script["rise"],
        "turns": truth_turns,
    }
    (cdir / "truth.json").write_text(json.dumps(call, ensure_ascii=False, indent=1), encoding="utf-8")
    return call


def _frames(path: Path) -> int:
    with wave.open(str(path), "rb") as w:
        return w.getnframes()


def _write_stereo(path: Path, chans: list[np.ndarray], rate: int) -> None:
    pcm = np.clip(np.round(np.stack(chans, axis=1) * 32767.0), -32768, 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())


def _encode(src: Path, stem: Path, codec: str) -> Path:
    ext, args = {
        "pcm_s16le": (".wav", ["-c:a", "pcm_s16le"]),
        "mulaw": (".wav", ["-c:a", "pcm_mulaw"]),
        "mp3": (".mp3", ["-c:a", "libmp3lame", "-b:a", "32k"]),
        "ogg_vorbis": (".ogg", ["-c:a", "libvorbis", "-q:a", "2"]),
        "ogg_opus": (".ogg", ["-c:a", "libopus", "-b:a", "24k"]),
    }[codec]
    dst = stem.with_suffix(ext)
    _run(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", str(src), "-fflags", "+bitexact",
          "-flags:a", "+bitexact", "-map_metadata", "-1", "-ar", "8000", "-ac", "2", *args, str(dst)])  # fmt: skip
    return dst


# --------------------------------------------------------------------------- truth helpers


def truth_silences(call: dict, min_s: float) -> list[tuple[float, float]]:
    spans = sorted((t["start"], t["end"]) for t in call["turns"])
    out, reach = [], None
    for a, b in spans:
        if reach is not None and a - reach >= min_s:
            out.append((reach, a))
        reach = b if reach is None else max(reach, b)
    return out


def truth_overtalk(call: dict, min_s: float = 0.0) -> list[tuple[float, float]]:
    ag = [(t["start"], t["end"]) for t in call["turns"] if t["speaker"] == "agent"]
    cu = [(t["start"], t["end"]) for t in call["turns"] if t["speaker"] == "customer"]
    out = []
    for a0, a1 in ag:
        for c0, c1 in cu:
            lo, hi = max(a0, c0), min(a1, c1)
            if hi - lo > max(min_s, 0.0):
                out.append((lo, hi))
    return sorted(out)


# --------------------------------------------------------------------------- corpus


def corpus_dir(seed: int) -> Path:
    return CACHE / f"seed{seed}"


def build_corpus(n_calls: int, seed: int, *, jobs: int = 1, log=print) -> tuple[Path, list[dict]]:
    cdir = corpus_dir(seed)
    info = {"generator_version": GENERATOR_VERSION, "seed": seed, "codecs": CODECS}
    manifest = cdir / "manifest.json"
    old = json.loads(manifest.read_text()) if manifest.exists() else {}
    if old.get("info") != info:
        if cdir.exists():
            shutil.rmtree(cdir)
        old = {}
    have = {c["call_id"]: c for c in old.get("calls", [])}
    scripts = [plan_call(i, seed) for i in range(n_calls)]
    todo = [s for s in scripts if f"q{s['index']:03d}-{s['lang']}" not in have]
    if todo:
        log(f"==> synthesising {len(todo)} stereo calls into {cdir} ({jobs} jobs)")
        (cdir / "phrases").mkdir(parents=True, exist_ok=True)
        with ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
            for d in pool.map(build_call, [(s, seed, str(cdir)) for s in todo]):
                have[d["call_id"]] = d
        manifest.write_text(json.dumps({"info": info, "calls": [have[k] for k in sorted(have)]}, ensure_ascii=False))
    wanted = {f"q{s['index']:03d}-{s['lang']}" for s in scripts}
    return cdir, [have[k] for k in sorted(have) if k in wanted]


def summarise(calls: list[dict]) -> str:
    from collections import Counter

    dur = sum(c["duration_s"] for c in calls)
    lines = [f"{len(calls)} stereo calls, {dur / 60:.1f} min of audio ({dur / len(calls):.0f} s a call)"]
    lines.append("languages: " + ", ".join(f"{k} {v}" for k, v in sorted(Counter(c["lang"] for c in calls).items())))
    lines.append("codecs: " + ", ".join(f"{k} {v}" for k, v in sorted(Counter(c["codec"] for c in calls).items())))
    for r in REQUIRED:
        lines.append(f"{r}: present in {sum(c['present'][r] for c in calls)}, missing in "
                     f"{sum(not c['present'][r] for c in calls)}")  # fmt: skip
    for f in FORBIDDEN:
        lines.append(f"{f}: said by the agent in {sum(f in c['forbidden'] for c in calls)} calls")
    lines.append(f"customer quoting a forbidden phrase: {sum(c['distractor'] for c in calls)}")
    lines.append(f"planted long silence {sum(c['planted_silence'] for c in calls)}, over-talk "
                 f"{sum(c['planted_overtalk'] for c in calls)}, loudness/pitch rise {sum(c['planted_rise'] for c in calls)}")  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--calls", type=int, default=32)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--jobs", type=int, default=1)
    args = p.parse_args()
    cdir, calls = build_corpus(args.calls, args.seed, jobs=args.jobs)
    print(f"corpus: {cdir}")
    print(summarise(calls))


if __name__ == "__main__":
    main()
