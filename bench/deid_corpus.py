"""Synthetic complaint calls with known PII timing, for bench/redaction.py (issue 10).

Each call is a short conversation (15-45 s) in English or Mandarin: harmless complaint sentences,
cue phrases ("my card number is" / "wo3 de ka3 hao4 shi4") and PII — card numbers (16-19 digits,
6222…), account numbers, mobiles (1[3-9]…), 18-character ID numbers (last may be X), CVVs and
e-mail addresses — read digit by digit, in groups, as two-digit words, with "oh"/"double", as
Chinese numerals with 幺 for 1 and 两 for 2, repeated, and self-corrected ("no wait, …" /
"bu2 dui4, shi4 …" = 不对，是…).

Ground truth is exact by construction: every phrase is synthesised on its own (``espeak-ng -w``),
band-limited to the telephone band at 8 kHz (``sox -R``, deterministic), and the call is the
concatenation of the phrases with short pauses, so the start/end of the speech of every phrase is
known to the sample (leading/trailing silence of espeak's output is trimmed from the span). Then
seeded noise is added at 10-20 dB SNR (relative to the speech, measured over the speech spans),
and the call is encoded as the "uploaded file" (WAV PCM, G.711 μ-law / A-law, MP3, OGG
Vorbis/Opus). AMR-NB is used only when ffmpeg has an AMR-NB encoder (Debian's has none).

The uploaded file is decoded exactly as production decodes it (``decode_to_wav16k``); the codec's
delay is measured by cross-correlation against the clean 16 kHz signal and the truth spans are
shifted by it, so the spans refer to the 16 kHz audio the pipeline works on.

The same seed gives the same corpus (Python ``random`` and NumPy generators seeded per call,
``sox -R``, ffmpeg ``-bitexact``). Cached under var/bench/deid/seed<N>/ (not committed).

    .venv/bin/python bench/deid_corpus.py --calls 60 --seed 1   # build (or reuse) and summarise
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
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

GENERATOR_VERSION = 4  # bump when the corpus changes for the same seed
CACHE = ROOT / "var" / "bench" / "deid"
RATE_8K = 8000
RATE_16K = 16000

# --------------------------------------------------------------------------- voices and codecs

# en-029 (Caribbean) was tried and dropped: even clean, faster-whisper base got few of its digits right
EN_VOICES = ["en", "en-us", "en-gb", "en-gb-x-rp", "en-gb-scotland", "en-us-nyc"]
EN_VARIANTS = ["", "+f3", "+m3", "+f2", "+m1", "+f4"]
ZH_VOICE = "cmn-latn-pinyin"  # the plain "cmn" voice is unusable (SPEECH.md)
ZH_VARIANTS = ["", "+f3", "+m3", "+f2", "+m1"]
CODECS = ["pcm_s16le", "mulaw", "alaw", "mp3", "ogg_vorbis", "ogg_opus"]


def amr_available() -> bool:
    out = subprocess.run(["ffmpeg", "-hide_banner", "-encoders"], capture_output=True, text=True, check=False)
    return any(name in out.stdout for name in ("libopencore_amrnb", "amr_nb"))


# --------------------------------------------------------------------------- texts

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
    "The interest on my loan went up without any notice.",
    "Your staff at the counter were rude to my mother.",
    "I was sold an insurance product that I never asked for.",
    "The cash machine kept my card and nobody can explain why.",
    "I waited on hold for forty minutes yesterday.",
    "The transfer to my daughter still has not arrived.",
    "I would like to make a formal complaint today.",
]
EN_OPENERS = ["Hello, I am calling about my credit card.", "Hi, I want to complain about your service."]
EN_CLOSERS = ["Thank you, I will wait for your reply.", "Please call me back as soon as possible."]
EN_CUES = {
    "card": ["My card number is", "The card number is", "It is the card ending, well, the full number is"],
    "account": ["My account number is", "The account number is"],
    "mobile": ["My mobile number is", "You can reach me on"],
    "id_number": ["My ID number is", "My identity card number is"],
    "cvv": ["The security code on the back is", "The CVV is"],
    "email": ["My email is", "Send it to my email address,"],
}
EN_REPEAT = ["I repeat,", "Let me say that again,"]
EN_CORRECT = ["No wait,", "Sorry, no, it is"]

# (pinyin for espeak, hanzi for reference)
ZH_SENTENCES = [
    ("yin2 hang2 de fu2 wu4 tai4 cha4 le.", "银行的服务太差了"),
    ("wo3 yao4 tou2 su4 fu2 wu4.", "我要投诉服务"),
    ("wo3 de xin4 yong4 ka3 bei4 chong2 fu4 kou4 kuan3 le.", "我的信用卡被重复扣款了"),
    ("qing3 bang1 wo3 tui4 kuan3.", "请帮我退款"),
    ("wo3 de qian2 mei2 you3 le, qing3 bang1 wo3 cha2 yi2 xia4.", "我的钱没有了请帮我查一下"),
    ("nian2 fei4 tai4 gao1 le.", "年费太高了"),
    ("ke4 fu2 dian4 hua4 yi4 zhi2 da3 bu4 tong1.", "客服电话一直打不通"),
    ("wo3 yi3 jing1 deng3 le san1 tian1 le.", "我已经等了三天了"),
    ("gui4 tai2 de gong1 zuo4 ren2 yuan2 tai4 du4 hen3 bu4 hao3.", "柜台的工作人员态度很不好"),
    ("shou3 ji1 yin2 hang2 deng1 lu4 bu4 liao3.", "手机银行登录不了"),
    ("dai4 kuan3 li4 xi1 tu1 ran2 zeng1 jia1 le.", "贷款利息突然增加了"),
    ("wo3 mei2 you3 mai3 guo4 zhe4 ge4 bao3 xian3.", "我没有买过这个保险"),
]
ZH_OPENERS = [("ni3 hao3, wo3 xiang3 tou2 su4 yi2 xia4.", "你好我想投诉一下")]
ZH_CLOSERS = [
    ("xie4 xie4 ni3 de bang1 zhu4.", "谢谢你的帮助"),
    ("qing3 jin3 kuai4 gei3 wo3 hui2 dian4.", "请尽快给我回电"),
]
ZH_CUES = {
    "card": [("wo3 de ka3 hao4 shi4", "我的卡号是"), ("yin2 hang2 ka3 ka3 hao4 shi4", "银行卡卡号是")],
    "account": [("wo3 de zhang4 hao4 shi4", "我的账号是")],
    "mobile": [("wo3 de shou3 ji1 hao4 shi4", "我的手机号是"), ("ni3 ke3 yi3 da3 wo3 shou3 ji1", "你可以打我手机")],
    "id_number": [("wo3 de shen1 fen4 zheng4 hao4 ma3 shi4", "我的身份证号码是")],
    "cvv": [("ka3 bei4 mian4 de an1 quan2 ma3 shi4", "卡背面的安全码是")],
    "email": [("wo3 de you2 xiang1 shi4", "我的邮箱是")],
}
ZH_REPEAT = [("wo3 zai4 shuo1 yi2 bian4", "我再说一遍")]
ZH_CORRECT = [("bu2 dui4, shi4", "不对，是")]

EN_DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
EN_TEENS = [
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
EN_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
ZH_DIGITS = ["ling2", "yi1", "er4", "san1", "si4", "wu3", "liu4", "qi1", "ba1", "jiu3"]
ZH_HANZI = "零一二三四五六七八九"

# e-mail: (spoken English, local part as written, domain spoken)
EMAILS = [
    ("j dot smith", "j.smith"),
    ("wang dot li eight eight", "wang.li88"),
    ("zhang wei two zero", "zhangwei20"),
    ("chen dot jie", "chen.jie"),
    ("mary underscore brown", "mary_brown"),
    ("li dot na two zero one nine", "li.na2019"),
]
DOMAINS = ["example dot com", "qq dot com", "one six three dot com", "gmail dot com"]

EN_STYLES = ["single", "groups", "pairs", "oh", "double"]
ZH_STYLES = ["single", "groups", "yao", "liang"]
PII_KINDS = ["card", "mobile", "id_number", "account", "cvv", "email"]


# --------------------------------------------------------------------------- PII values


def luhn_complete(prefix: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(prefix + "0")):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return prefix + str((10 - total % 10) % 10)


def make_value(kind: str, rng: random.Random) -> str:
    if kind == "card":
        n = rng.choice([16, 16, 16, 19, 17, 18])
        body = "6222" + "".join(rng.choice("0123456789") for _ in range(n - 5))
        return luhn_complete(body)
    if kind == "account":
        n = rng.choice([12, 15, 17])
        return rng.choice("1234569") + "".join(rng.choice("0123456789") for _ in range(n - 1))
    if kind == "mobile":
        return "1" + rng.choice("3456789") + "".join(rng.choice("0123456789") for _ in range(9))
    if kind == "id_number":
        region = rng.choice(["110101", "310104", "440305", "510107", "320102"])
        birth = f"{rng.randint(1950, 2003)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        seq = f"{rng.randint(0, 999):03d}"
        body = region + birth + seq
        weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
        check = "10X98765432"[sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11]
        return body + check
    if kind == "cvv":
        return f"{rng.randint(0, 999):03d}"
    raise ValueError(kind)


def groups_of(value: str, kind: str) -> list[str]:
    sizes = {"mobile": [3, 4, 4], "id_number": [6, 8, 4]}.get(kind)
    if sizes is None:
        sizes = [4] * (len(value) // 4) + ([len(value) % 4] if len(value) % 4 else [])
    out, pos = [], 0
    for s in sizes:
        out.append(value[pos : pos + s])
        pos += s
    if pos < len(value):
        out.append(value[pos:])
    return [g for g in out if g]


def speak_en(value: str, kind: str, style: str) -> str:
    """English words for a digit string (X is read as the letter)."""

    def one(ch: str, zero: str = "zero") -> str:
        if ch in "Xx":
            return "X"
        return zero if ch == "0" else EN_DIGITS[int(ch)]

    if style == "groups":
        return ", ".join(" ".join(one(c) for c in g) for g in groups_of(value, kind))
    if style == "oh":
        return " ".join(one(c, "oh") for c in value)
    if style == "double":
        words, i = [], 0
        while i < len(value):
            if i + 1 < len(value) and value[i] == value[i + 1] and value[i] not in "Xx":
                words.append(f"double {one(value[i], 'oh')}")
                i += 2
            else:
                words.append(one(value[i], "oh"))
                i += 1
        return " ".join(words)
    if style == "pairs":
        words = []
        for i in range(0, len(value), 2):
            pair = value[i : i + 2]
            if len(pair) == 1 or not pair.isdigit():
                words += [one(c, "oh") for c in pair]
            elif pair[0] == "0":
                words.append(f"oh {one(pair[1])}")
            elif pair[0] == "1":
                words.append(EN_TEENS[int(pair[1])])
            else:
                words.append(EN_TENS[int(pair[0])] + ("" if pair[1] == "0" else f" {EN_DIGITS[int(pair[1])]}"))
        return ", ".join(words) if len(words) > 1 else words[0]
    return " ".join(one(c) for c in value)


def speak_zh(value: str, kind: str, style: str, rng: random.Random) -> tuple[str, str]:
    """Pinyin with tone numbers and the hanzi a listener would write (幺 for 1, 两 for 2)."""
    py, hz = [], []
    for ch in value:
        if ch in "Xx":
            py.append("cha1")
            hz.append("叉")
        elif ch == "1" and (style == "yao" or (kind == "mobile" and style != "single")):
            py.append("yao1")
            hz.append("幺")
        elif ch == "2" and style == "liang" and rng.random() < 0.5:
            py.append("liang3")
            hz.append("两")
        else:
            py.append(ZH_DIGITS[int(ch)])
            hz.append(ZH_HANZI[int(ch)])
    if style == "groups":
        out_py, out_hz, pos = [], [], 0
        for g in groups_of(value, kind):
            out_py.append(" ".join(py[pos : pos + len(g)]))
            out_hz.append("".join(hz[pos : pos + len(g)]))
            pos += len(g)
        return ", ".join(out_py), "，".join(out_hz)
    return " ".join(py), "".join(hz)


# --------------------------------------------------------------------------- data model


@dataclass
class Span:
    start: float  # seconds in the decoded 16 kHz audio (codec delay applied), speech only
    end: float
    role: str  # "pii" or "harmless"
    text: str  # what espeak was given
    lang: str  # language of this phrase's voice ("en" inside a Mandarin call for e-mails)
    kind: str = ""  # card, account, mobile, id_number, cvv, email (PII only)
    truth: str = ""  # digits (X allowed) or the e-mail local part, as written
    style: str = ""  # how it was read: single, groups, pairs, oh, double, yao, liang
    item: int = -1  # PII item number within the call (a repeat or correction is a new span)
    attempt: str = ""  # "first", "repeat", "wrong" (the self-corrected attempt), "corrected"
    reference: str = ""  # hanzi / written form of the phrase


@dataclass
class Call:
    call_id: str
    lang: str
    voice: str
    speed: int
    codec: str
    snr_db: float
    noise: str
    upload: str  # path relative to the corpus directory
    orig16k: str  # decode_to_wav16k(upload): what the pipeline transcribes and redacts
    clean16k: str  # the same speech without noise or codec, aligned (for the "silent" test)
    duration_s: float
    offset_s: float  # codec delay found by cross-correlation (already applied to spans)
    spans: list[Span] = field(default_factory=list)

    @property
    def pii(self) -> list[Span]:
        return [s for s in self.spans if s.role == "pii"]

    @property
    def harmless(self) -> list[Span]:
        return [s for s in self.spans if s.role == "harmless"]


def call_from_json(d: dict) -> Call:
    d = dict(d)
    spans = [Span(**s) for s in d.pop("spans")]
    return Call(**d, spans=spans)


# --------------------------------------------------------------------------- audio helpers


def _run(cmd: list[str], timeout: float = 120) -> None:
    proc = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed: {proc.stderr.decode('utf-8', 'replace')[-500:]}")


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2:
            raise ValueError(f"{path}: expected 16-bit PCM")
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
        if w.getnchannels() > 1:
            data = data.reshape(-1, w.getnchannels())[:, 0]
        return data.astype(np.float64) / 32768.0, w.getframerate()


def write_wav(path: Path, samples: np.ndarray, rate: int) -> None:
    pcm = np.clip(np.round(samples * 32767.0), -32768, 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())


def synth_phrase(text: str, voice: str, speed: int, work: Path) -> np.ndarray:
    """One phrase, 8 kHz telephone band (300-3400 Hz), float samples."""
    key = hashlib.sha1(f"{voice}|{speed}|{text}".encode()).hexdigest()[:16]
    raw, tel = work / f"{key}.raw.wav", work / f"{key}.8k.wav"
    if not tel.exists():  # the phrase cache is shared by parallel builders: write, then rename
        tmp = work / f"{key}.{os.getpid()}.tmp.wav"
        _run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(raw.with_suffix(f".{os.getpid()}.wav")), text])
        _run(["sox", "-R", "-V1", str(raw.with_suffix(f".{os.getpid()}.wav")), "-r", str(RATE_8K), "-c", "1", "-b", "16"]
             + [str(tmp), "sinc", "300-3400"])  # fmt: skip
        raw.with_suffix(f".{os.getpid()}.wav").unlink()
        os.replace(tmp, tel)
    samples, _ = read_wav(tel)
    return samples


def speech_extent(x: np.ndarray, rate: int) -> tuple[int, int]:
    """First and last sample of the phrase's speech (espeak pads its output with silence)."""
    frame = rate // 100  # 10 ms
    n = len(x) // frame
    if n == 0:
        return 0, len(x)
    rms = np.sqrt(np.mean(x[: n * frame].reshape(n, frame) ** 2, axis=1))
    loud = np.nonzero(rms > max(rms.max() * 0.02, 1e-4))[0]
    if len(loud) == 0:
        return 0, len(x)
    return int(loud[0] * frame), int(min(len(x), (loud[-1] + 1) * frame))


def make_noise(kind: str, n: int, rng: np.random.Generator) -> np.ndarray:
    white = rng.standard_normal(n)
    if kind == "white":
        noise = white
    elif kind == "pink":  # ~1/f via a sum of one-pole filters (Paul Kellet's economy method)
        b = np.zeros(3)
        noise = np.empty(n)
        for i, w in enumerate(white):
            b[0] = 0.99765 * b[0] + w * 0.0990460
            b[1] = 0.96300 * b[1] + w * 0.2965164
            b[2] = 0.57000 * b[2] + w * 1.0526913
            noise[i] = b[0] + b[1] + b[2] + w * 0.1848
    else:  # "hum": mains buzz (50 Hz and its odd harmonics) + white hiss, a bad line
        t = np.arange(n) / RATE_8K
        noise = sum(np.sin(2 * np.pi * 50 * k * t) / k for k in range(1, 40, 2)) + 0.7 * white
    # telephone band, like the speech: the SNR is then the in-band SNR a listener hears
    spec = np.fft.rfft(noise)
    freqs = np.fft.rfftfreq(n, 1 / RATE_8K)
    spec[(freqs < 300) | (freqs > 3400)] = 0
    noise = np.fft.irfft(spec, n)
    return noise / (np.sqrt(np.mean(noise**2)) or 1.0)


def encode_upload(src_wav8k: Path, dst_stem: Path, codec: str) -> Path:
    if codec == "pcm_s16le":
        dst = dst_stem.with_suffix(".wav")
        shutil.copyfile(src_wav8k, dst)
    elif codec in ("mulaw", "alaw"):
        dst = dst_stem.with_suffix(".wav")
        enc = "u-law" if codec == "mulaw" else "a-law"
        _run(["sox", "-R", "-V1", str(src_wav8k), "-e", enc, "-b", "8", str(dst)])
    else:
        ext, args = {
            "mp3": (".mp3", ["-c:a", "libmp3lame", "-b:a", "16k"]),
            "ogg_vorbis": (".ogg", ["-c:a", "libvorbis", "-q:a", "2"]),
            "ogg_opus": (".ogg", ["-c:a", "libopus", "-b:a", "12k"]),
            "amr_nb": (".amr", ["-c:a", "libopencore_amrnb", "-b:a", "12.2k"]),
        }[codec]
        dst = dst_stem.with_suffix(ext)
        _run(
            ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", str(src_wav8k)]
            + ["-fflags", "+bitexact", "-flags:a", "+bitexact", "-map_metadata", "-1", "-ar", "8000", *args, str(dst)]
        )
    return dst


def estimate_offset(decoded: np.ndarray, clean: np.ndarray, rate: int, max_lag_s: float = 0.25) -> float:
    """Delay of ``decoded`` relative to ``clean`` in seconds (positive: decoded is later)."""
    n = min(len(decoded), len(clean), rate * 20)
    a, b = decoded[:n] - decoded[:n].mean(), clean[:n] - clean[:n].mean()
    size = 1 << int(np.ceil(np.log2(2 * n)))
    corr = np.fft.irfft(np.fft.rfft(a, size) * np.conj(np.fft.rfft(b, size)), size)
    lag_max = int(max_lag_s * rate)
    lags = np.concatenate([np.arange(0, lag_max + 1), np.arange(-lag_max, 0)])
    vals = np.concatenate([corr[: lag_max + 1], corr[size - lag_max :]])
    return float(lags[int(np.argmax(vals))]) / rate


# --------------------------------------------------------------------------- one call


def plan_call(index: int, seed: int, codecs: list[str]) -> dict:
    """The call's script (no audio): what is said, by which voice, through which codec."""
    rng = random.Random(f"deid-{seed}-{index}")
    lang = "en" if index % 2 == 0 else "zh"
    if lang == "en":
        voice = rng.choice(EN_VOICES) + rng.choice(EN_VARIANTS)
        speed = rng.randint(135, 180)
    else:
        voice = ZH_VOICE + rng.choice(ZH_VARIANTS)
        speed = rng.randint(110, 150)
    codec = codecs[(index // 2 + seed) % len(codecs)]  # both languages see every codec
    snr = round(rng.uniform(10.0, 20.0), 1)
    noise = rng.choice(["white", "pink", "hum"])
    target = rng.uniform(14.0, 36.0)
    # PII kinds in a rotating order so 60 calls cover every kind x style x language
    kinds = PII_KINDS[index % len(PII_KINDS) :] + PII_KINDS[: index % len(PII_KINDS)]
    return {
        "index": index,
        "lang": lang,
        "voice": voice,
        "speed": speed,
        "codec": codec,
        "snr": snr,
        "noise": noise,
        "target": target,
        "kinds": kinds,
        "rng_state": f"deid-{seed}-{index}-script",
    }


def build_call(args: tuple[dict, int, str]) -> dict:
    script, seed, corpus_dir_s = args
    corpus_dir = Path(corpus_dir_s)
    rng = random.Random(script["rng_state"])
    nprng = np.random.default_rng([seed, script["index"]])
    lang, voice, speed = script["lang"], script["voice"], script["speed"]
    call_id = f"c{script['index']:03d}-{lang}"
    cdir = corpus_dir / "calls" / call_id
    cdir.mkdir(parents=True, exist_ok=True)
    en_voice_for_zh = "en-us" + ("+f3" if "+f" in voice else "")

    pieces: list[tuple[np.ndarray, float, Span]] = []  # samples, pause before, span (times filled later)
    total = 0.0

    def say(text: str, role: str, *, pause: float, phrase_lang: str | None = None, **kw) -> None:
        nonlocal total
        plang = phrase_lang or lang
        v = voice if plang == lang else en_voice_for_zh
        x = synth_phrase(text, v, speed, cdir.parent.parent / "phrases")
        pieces.append((x, pause, Span(0.0, 0.0, role, text, plang, **kw)))
        total += pause + len(x) / RATE_8K

    def sentence(pool) -> None:
        s = rng.choice(pool)
        if lang == "en":
            say(s, "harmless", pause=rng.uniform(0.4, 0.9), reference=s)
        else:
            say(s[0], "harmless", pause=rng.uniform(0.4, 0.9), reference=s[1])

    def cue(pool) -> None:
        c = rng.choice(pool)
        if lang == "en":
            say(c, "harmless", pause=rng.uniform(0.4, 0.8), reference=c)
        else:
            say(c[0], "harmless", pause=rng.uniform(0.4, 0.8), reference=c[1])

    def pii(kind: str, value: str, style: str, item: int, attempt: str) -> None:
        pause = rng.uniform(0.15, 0.45)
        if kind == "email":
            spoken, local = value.split("|")
            say(spoken, "pii", pause=pause, phrase_lang="en", kind=kind, truth=local, style="email", item=item,
                attempt=attempt, reference=spoken)  # fmt: skip
            return
        if lang == "en":
            text = speak_en(value, kind, style)
            ref = value
        else:
            text, ref = speak_zh(value, kind, style, rng)
        say(text, "pii", pause=pause, kind=kind, truth=value, style=style, item=item, attempt=attempt, reference=ref)

    sentence(EN_OPENERS if lang == "en" else ZH_OPENERS)
    item = 0
    styles = EN_STYLES if lang == "en" else ZH_STYLES
    while item == 0 or total < script["target"] - 4.0:
        kind = script["kinds"][item % len(script["kinds"])]
        if kind == "email":
            if lang == "zh" and rng.random() < 0.5:
                kind = "mobile"  # e-mails in Mandarin calls are read with an English voice, half as often
            else:
                spoken, local = rng.choice(EMAILS)
                value = f"{spoken} at {rng.choice(DOMAINS)}|{local}"
        if kind != "email":
            value = make_value(kind, rng)
        style = rng.choice(styles)
        cue(EN_CUES[kind] if lang == "en" else ZH_CUES[kind])
        twist = rng.random()
        if twist < 0.2 and kind != "email":  # self-correction: a wrong start, then the right number
            wrong = list(value[: rng.randint(min(4, len(value)), min(8, len(value)))])
            j = rng.randrange(1, len(wrong))
            wrong[j] = str((int(wrong[j]) + rng.randint(1, 9)) % 10) if wrong[j].isdigit() else "7"
            pii(kind, "".join(wrong), style, item, "wrong")
            c = rng.choice(EN_CORRECT if lang == "en" else ZH_CORRECT)
            say(
                c if lang == "en" else c[0],
                "harmless",
                pause=rng.uniform(0.2, 0.5),
                reference=c if lang == "en" else c[1],
            )
            pii(kind, value, style, item, "corrected")
        elif twist < 0.4:  # repeated
            pii(kind, value, style, item, "first")
            c = rng.choice(EN_REPEAT if lang == "en" else ZH_REPEAT)
            say(
                c if lang == "en" else c[0],
                "harmless",
                pause=rng.uniform(0.3, 0.6),
                reference=c if lang == "en" else c[1],
            )
            pii(kind, value, rng.choice(styles), item, "repeat")
        else:
            pii(kind, value, style, item, "first")
        item += 1
        if total < script["target"] - 4.0 and rng.random() < 0.7:
            sentence(EN_SENTENCES if lang == "en" else ZH_SENTENCES)
    sentence(EN_CLOSERS if lang == "en" else ZH_CLOSERS)

    # assemble at 8 kHz; spans cover the speech of each phrase (trimmed of espeak's silence)
    lead, tail = 0.5, 0.6
    chunks, pos, spans = [np.zeros(int(lead * RATE_8K))], int(lead * RATE_8K), []
    for x, pause, span in pieces:
        gap = np.zeros(int(pause * RATE_8K))
        chunks.append(gap)
        pos += len(gap)
        a, b = speech_extent(x, RATE_8K)
        span.start, span.end = (pos + a) / RATE_8K, (pos + b) / RATE_8K
        spans.append(span)
        chunks.append(x)
        pos += len(x)
    chunks.append(np.zeros(int(tail * RATE_8K)))
    clean = np.concatenate(chunks)
    speech_mask = np.zeros(len(clean), dtype=bool)
    for s in spans:
        speech_mask[int(s.start * RATE_8K) : int(s.end * RATE_8K)] = True
    speech_power = float(np.mean(clean[speech_mask] ** 2))
    noise = make_noise(script["noise"], len(clean), nprng) * np.sqrt(speech_power / 10 ** (script["snr"] / 10))
    noisy = clean + noise
    scale = min(1.0, 0.89 / float(np.max(np.abs(noisy))), 0.25 / np.sqrt(speech_power))
    clean8k, noisy8k = cdir / "clean8k.wav", cdir / "noisy8k.wav"
    write_wav(clean8k, clean * scale, RATE_8K)
    write_wav(noisy8k, noisy * scale, RATE_8K)

    from recordings.speech.audio import decode_to_wav16k

    upload = encode_upload(noisy8k, cdir / "upload", script["codec"])
    orig16k, clean16k = cdir / "orig16k.wav", cdir / "clean16k.wav"
    decode_to_wav16k(upload, orig16k, timeout_s=120)
    _run(["sox", "-R", "-V1", str(clean8k), "-r", str(RATE_16K), str(clean16k)])
    dec, _ = read_wav(orig16k)
    cln, _ = read_wav(clean16k)
    offset = estimate_offset(dec, cln, RATE_16K)
    if offset:  # align the clean track with the decoded audio, so both share the truth times
        shift = round(offset * RATE_16K)
        cln = np.concatenate([np.zeros(shift), cln])[: len(dec)] if shift > 0 else cln[-shift:]
        write_wav(clean16k, cln, RATE_16K)
        for s in spans:
            s.start, s.end = s.start + offset, s.end + offset
    noisy8k.unlink()
    call = Call(
        call_id=call_id,
        lang=lang,
        voice=voice,
        speed=speed,
        codec=script["codec"],
        snr_db=script["snr"],
        noise=script["noise"],
        upload=str(upload.relative_to(corpus_dir)),
        orig16k=str(orig16k.relative_to(corpus_dir)),
        clean16k=str(clean16k.relative_to(corpus_dir)),
        duration_s=round(len(dec) / RATE_16K, 3),
        offset_s=offset,
        spans=spans,
    )
    (cdir / "truth.json").write_text(json.dumps(asdict(call), ensure_ascii=False, indent=1), encoding="utf-8")
    return asdict(call)


# --------------------------------------------------------------------------- corpus


def corpus_dir(seed: int) -> Path:
    return CACHE / f"seed{seed}"


def build_corpus(n_calls: int, seed: int, *, jobs: int = 1, log=print) -> tuple[Path, list[Call], dict]:
    """Build (or reuse from the cache) ``n_calls`` calls for ``seed``. Returns the corpus
    directory, the calls and the corpus info (codecs, AMR availability, generator version)."""
    cdir = corpus_dir(seed)
    codecs = list(CODECS)
    amr = amr_available()
    if amr:
        codecs.append("amr_nb")
    info = {"generator_version": GENERATOR_VERSION, "seed": seed, "codecs": codecs, "amr_encoder": amr}
    manifest = cdir / "manifest.json"
    old = json.loads(manifest.read_text()) if manifest.exists() else {}
    if old.get("info") != info:
        if cdir.exists():
            shutil.rmtree(cdir)
        old = {}
    have = {c["call_id"]: c for c in old.get("calls", [])}
    scripts = [plan_call(i, seed, codecs) for i in range(n_calls)]
    todo = [s for s in scripts if f"c{s['index']:03d}-{s['lang']}" not in have]
    if todo:
        log(f"==> synthesising {len(todo)} calls into {cdir} ({jobs} jobs)")
        cdir.mkdir(parents=True, exist_ok=True)
        (cdir / "phrases").mkdir(exist_ok=True)
        with ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
            for d in pool.map(build_call, [(s, seed, str(cdir)) for s in todo]):
                have[d["call_id"]] = d
        ordered = [have[k] for k in sorted(have)]
        manifest.write_text(json.dumps({"info": info, "calls": ordered}, ensure_ascii=False), encoding="utf-8")
    wanted = {f"c{s['index']:03d}-{s['lang']}" for s in scripts}
    calls = [call_from_json(have[k]) for k in sorted(have) if k in wanted]
    return cdir, calls, info


def summarise(calls: list[Call]) -> str:
    from collections import Counter

    lines = [f"{len(calls)} calls, {sum(c.duration_s for c in calls) / 60:.1f} min of audio"]
    lines.append("languages: " + ", ".join(f"{k} {v}" for k, v in sorted(Counter(c.lang for c in calls).items())))
    lines.append("codecs: " + ", ".join(f"{k} {v}" for k, v in sorted(Counter(c.codec for c in calls).items())))
    pii = [s for c in calls for s in c.pii]
    lines.append(f"PII spans: {len(pii)} ({sum(s.end - s.start for s in pii):.0f} s); by kind: "
                 + ", ".join(f"{k} {v}" for k, v in sorted(Counter(s.kind for s in pii).items())))  # fmt: skip
    lines.append("by style: " + ", ".join(f"{k} {v}" for k, v in sorted(Counter(s.style for s in pii).items())))
    lines.append("by attempt: " + ", ".join(f"{k} {v}" for k, v in sorted(Counter(s.attempt for s in pii).items())))
    harmless = [s for c in calls for s in c.harmless]
    lines.append(f"harmless spans: {len(harmless)} ({sum(s.end - s.start for s in harmless):.0f} s)")
    durs = sorted(c.duration_s for c in calls)
    lines.append(f"durations: {durs[0]:.1f}-{durs[-1]:.1f} s; codec delays: "
                 + ", ".join(sorted({f"{c.codec} {c.offset_s * 1000:.1f} ms" for c in calls})))  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--calls", type=int, default=60)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--jobs", type=int, default=2)
    args = p.parse_args()
    cdir, calls, info = build_corpus(args.calls, args.seed, jobs=args.jobs)
    print(f"corpus: {cdir}  {info}")
    print(summarise(calls))


if __name__ == "__main__":
    main()
