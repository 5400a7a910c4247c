"""Remote provider adapters, registered as `reelforge.providers` entry points and built with
Settings. Nothing here is imported unless a remote provider is configured.

Choose providers per capability with fallback chains (first that succeeds wins, per item):

    REELFORGE_LLM=openai,local        REELFORGE_TTS=elevenlabs,openai,local
    REELFORGE_ALIGNER=elevenlabs      REELFORGE_MUSIC=elevenlabs,local
    REELFORGE_IMAGE=seedream,fal      REELFORGE_VIDEO=seedance,replicate,local

Per provider (`_X` stands for `REELFORGE_X`); openai and elevenlabs go through the vendors'
official SDKs (`openai`, `elevenlabs`) with the SDKs' own retries off, the others through
`http.py`'s client, and all of them under `http.py`'s retry policy:

- openai (llm, tts, aligner, image): OPENAI_API_KEY, OPENAI_BASE_URL (include /v1; Ollama,
  vLLM and llama.cpp need no key); REELFORGE_LLM_MODEL, _LLM_VISION, _LLM_TEMPERATURE,
  _OPENAI_TTS_MODEL, _OPENAI_TTS_VOICE, _OPENAI_STT_MODEL, _OPENAI_IMAGE_MODEL,
  _OPENAI_IMAGE_QUALITY.
- elevenlabs (tts, aligner, music): ELEVENLABS_API_KEY, ELEVENLABS_BASE_URL;
  _ELEVENLABS_TTS_MODEL, _ELEVENLABS_VOICE_ID, _ELEVENLABS_OUTPUT_FORMAT,
  _ELEVENLABS_STT_MODEL, _ELEVENLABS_MUSIC_MODEL, _ELEVENLABS_MUSIC_FORMAT,
  _SPEECH_LANGUAGE.
- seedream (image) and seedance (video), BytePlus ModelArk: ARK_API_KEY, ARK_BASE_URL;
  _SEEDREAM_MODEL, _SEEDANCE_MODEL, _SEEDANCE_RESOLUTION.
- replicate (image, video): REPLICATE_API_TOKEN, REPLICATE_BASE_URL;
  _REPLICATE_IMAGE_MODEL, _REPLICATE_VIDEO_MODEL (owner/name or owner/name:version),
  _REPLICATE_WAIT, _REPLICATE_IMAGE_REFERENCES (the image model's list input for reference
  images, e.g. image_input; empty: none).
- fal (image, video): FAL_KEY, FAL_BASE_URL (the queue host); _FAL_IMAGE_MODEL,
  _FAL_VIDEO_MODEL, _FAL_IMAGE_REFERENCES (the image app's list input for reference images,
  e.g. image_urls; empty: none).
- comfyui (image, video), a ComfyUI server of your own: COMFYUI_BASE_URL (no key);
  _COMFYUI_{IMAGE,VIDEO}_WORKFLOW, _COMFYUI_{IMAGE,VIDEO}_MAPPING, _COMFYUI_TIMEOUT
  (docs/comfyui.md).

Keys may live in a dotenv file named by REELFORGE_SECRETS_FILE; real environment variables
win over it. HTTP behaviour:
REELFORGE_HTTP_{CONNECT,READ}_TIMEOUT, _HTTP_MAX_ATTEMPTS, _HTTP_BACKOFF_{INITIAL,MAX},
_HTTP_RETRY_AFTER_MAX, _POLL_INTERVAL, _POLL_INTERVAL_MAX, _POLL_TIMEOUT.
`reelforge.providers.check_providers(settings)` validates every configured key with the
cheapest call each API offers.
"""
