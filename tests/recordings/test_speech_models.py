"""Model location: names, local paths, packaged weights (assembled, verified, cached) and the
CTranslate2 -> openai-whisper conversion. No Django."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from recordings.speech import models
from recordings.speech.models import ModelError, convert_ct2_to_openai, resolve_model, resolve_openai_checkpoint
from tests.recordings import audio_factory as af


def test_model_name_is_returned_for_the_library_to_download(tmp_path):
    assert resolve_model("base", cache_dir=tmp_path) == "base"
    assert resolve_model("tiny.en", cache_dir=tmp_path) == "tiny.en"
    assert resolve_model("Systran/faster-whisper-small", cache_dir=tmp_path) == "Systran/faster-whisper-small"
    assert list(tmp_path.iterdir()) == []  # nothing assembled for a plain name


def test_local_directory_is_used_as_is(tmp_path):
    own = tmp_path / "my-model"
    own.mkdir()
    assert resolve_model(str(own), cache_dir=tmp_path / "cache") == own.resolve()


def test_missing_local_path_is_a_clear_error(tmp_path):
    with pytest.raises(ModelError, match="does not exist"):
        resolve_model(str(tmp_path / "nowhere" / "model"), cache_dir=tmp_path)
    with pytest.raises(ModelError, match="does not exist"):
        resolve_model("./models/whisper-base", cache_dir=tmp_path)


def test_empty_and_unknown_packaged_specs_are_clear_errors(tmp_path):
    with pytest.raises(ModelError, match="empty"):
        resolve_model("  ", cache_dir=tmp_path)
    with pytest.raises(ModelError, match=r"pkg:base, pkg:tiny\.en"):
        resolve_model("pkg:large-v3", cache_dir=tmp_path)


def test_missing_package_names_the_pip_command(tmp_path, monkeypatch):
    fake = models.PackagedModel(
        name="base",
        parts=(("voc_no_such_pkg_part1", "data/model.bin.part1"), ("voc_no_such_pkg_part2", "data/model.bin.part2")),
        files_from=("voc_no_such_pkg_part1", "data"),
        sha256=models.BASE_SHA256,
        size=1,
        pip_names=("voc-no-such-pkg-part1==1.0", "voc-no-such-pkg-part2==1.0"),
    )
    monkeypatch.setitem(models.PACKAGED_MODELS, "base", fake)
    with pytest.raises(ModelError, match="pip install voc-no-such-pkg-part1==1.0 voc-no-such-pkg-part2==1.0"):
        resolve_model("pkg:base", cache_dir=tmp_path)


def test_packaged_base_is_assembled_verified_and_reused(tmp_path, monkeypatch):
    target = resolve_model("pkg:base", cache_dir=tmp_path)
    assert target == tmp_path / "whisper-base-ct2"
    assert sorted(p.name for p in target.iterdir() if not p.name.startswith(".")) == [
        "config.json",
        "model.bin",
        "tokenizer.json",
        "vocabulary.txt",
    ]
    assert models.sha256_file(target / "model.bin") == models.BASE_SHA256
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".whisper-base-ct2.") and p.is_dir()]

    # Second load: the stamp (size + mtime) vouches for the file, no 145 MB re-hash.
    hashed = []
    real = models.sha256_file
    monkeypatch.setattr(models, "sha256_file", lambda p: hashed.append(p) or real(p))
    mtime = (target / "model.bin").stat().st_mtime_ns
    assert resolve_model("pkg:base", cache_dir=tmp_path) == target
    assert hashed == []
    assert (target / "model.bin").stat().st_mtime_ns == mtime


def test_damaged_assembled_copy_is_detected_and_rebuilt(tmp_path):
    target = resolve_model("pkg:base", cache_dir=tmp_path)
    with open(target / "model.bin", "r+b") as f:  # flip one byte: size unchanged, mtime changes
        f.seek(1000)
        byte = f.read(1)
        f.seek(1000)
        f.write(bytes([byte[0] ^ 0xFF]))
    st = (target / "model.bin").stat()
    os.utime(target / "model.bin", ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    assert resolve_model("pkg:base", cache_dir=tmp_path) == target
    assert models.sha256_file(target / "model.bin") == models.BASE_SHA256


def test_weights_that_do_not_match_the_pinned_hash_are_refused(tmp_path, monkeypatch):
    wrong = models.PackagedModel(**{**models.PACKAGED_MODELS["base"].__dict__, "sha256": "0" * 64})
    monkeypatch.setitem(models.PACKAGED_MODELS, "base", wrong)
    with pytest.raises(ModelError, match="failed verification"):
        resolve_model("pkg:base", cache_dir=tmp_path)
    assert not (tmp_path / "whisper-base-ct2").exists()
    assert not [p for p in tmp_path.iterdir() if p.is_dir()]  # no half-written temp dir left


def test_packaged_tiny_en_is_verified_in_place(tmp_path):
    path = resolve_model("pkg:tiny.en", cache_dir=tmp_path)
    assert (path / "model.bin").is_file()
    assert json.loads((tmp_path / "verified" / "tiny.en.json").read_text())["sha256"] == models.TINY_EN_SHA256


def test_conversion_gives_a_checkpoint_openai_whisper_loads_with_the_same_tensors(tmp_path):
    import torch
    import whisper

    ct2 = resolve_model("pkg:tiny.en", cache_dir=af.model_cache_dir())
    out = convert_ct2_to_openai(ct2, tmp_path / "tiny.en.pt")
    ckpt = torch.load(out, weights_only=True)
    assert ckpt["dims"] == {
        "n_mels": 80,
        "n_audio_ctx": 1500,
        "n_audio_state": 384,
        "n_audio_head": 6,
        "n_audio_layer": 4,
        "n_vocab": 51864,
        "n_text_ctx": 448,
        "n_text_state": 384,
        "n_text_head": 6,
        "n_text_layer": 4,
    }
    _, variables, _ = models.read_ct2_variables(ct2 / "model.bin")
    fused = variables["decoder/layer_2/self_attention/linear_0/weight"].array
    sd = ckpt["model_state_dict"]
    np.testing.assert_array_equal(sd["decoder.blocks.2.attn.query.weight"].numpy(), fused[:384])
    np.testing.assert_array_equal(sd["decoder.blocks.2.attn.key.weight"].numpy(), fused[384:768])
    np.testing.assert_array_equal(sd["decoder.blocks.2.attn.value.weight"].numpy(), fused[768:])
    # strict load: every parameter and buffer of the model is present, nothing extra
    model = whisper.load_model(str(out), device="cpu")
    assert not model.is_multilingual
    assert next(model.parameters()).dtype == torch.float32

    # cached: a second call neither rewrites the checkpoint nor its sidecar
    before = out.stat().st_mtime_ns
    assert convert_ct2_to_openai(ct2, out) == out
    assert out.stat().st_mtime_ns == before
    assert models.checkpoint_metadata(out)["alignment_heads"][0] == [1, 0]


def test_pkg_spec_resolves_to_a_cached_openai_checkpoint(tmp_path):
    first = resolve_openai_checkpoint("pkg:tiny.en", cache_dir=tmp_path)
    assert first == tmp_path / "openai-whisper" / "tiny.en.pt"
    assert resolve_openai_checkpoint("pkg:tiny.en", cache_dir=tmp_path) == first
    assert resolve_openai_checkpoint(str(first), cache_dir=tmp_path) == first.resolve()  # a checkpoint file
    assert resolve_openai_checkpoint("base", cache_dir=tmp_path) == "base"


def test_a_directory_without_model_bin_is_not_converted(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelError, match=r"no model\.bin"):
        resolve_openai_checkpoint(str(tmp_path / "empty"), cache_dir=tmp_path)
