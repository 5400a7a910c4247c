"""The fakes themselves: reachable from a plain `start_all()`, and their media is real."""

from __future__ import annotations

import httpx
from provider_fakes import media, start_all
from reelforge.providers.remote.media import decode_audio, probe_video


def test_start_all_serves_every_provider_on_loopback() -> None:
    urls = start_all()
    assert set(urls) == {"openai", "elevenlabs", "ark", "replicate", "fal", "comfyui"}
    probes = {"openai": "/models", "elevenlabs": "/v1/user", "ark": "/contents/generations/tasks",
              "replicate": "/v1/account", "fal": "/fal-ai/flux/requests/x/status"}
    for name, url in urls.items():
        assert url.startswith("http://127.0.0.1:")
        if name == "comfyui":  # a self-hosted server without keys, like ComfyUI itself
            assert httpx.get(url + "/system_stats").status_code == 200
        else:
            assert httpx.get(url + probes[name]).status_code == 401  # no key: refused


def test_fake_media_is_real() -> None:
    assert media.image_size(media.png(320, 200)) == (320, 200)
    assert probe_video(media.mp4(160, 96, 1.0, 24)) == (1.0, 160, 96)
    clip = media.speech("Hello there, world.", 16000)
    assert len(clip.characters) == len(clip.starts) == len("Hello there, world.")
    assert clip.ends[-1] <= clip.duration
    assert len(media.voiced_segments(clip.samples, clip.rate)) == 3
    assert decode_audio(media.mp3(media.music(2.0), 44100)).duration > 1.9
