"""One protocol per AI capability, chosen by settings. Implementations register under the
`reelforge.providers` entry-point group as `<capability>.<name>` (e.g. `tts.local`)."""

from reelforge.providers.base import (
    LLM,
    TTS,
    Aligner,
    Audio,
    BudgetExceeded,
    ClipRequest,
    ContentPolicyError,
    DescribesFrames,
    FrameRequest,
    HoldsModels,
    ImageGen,
    Music,
    PlaneForm,
    ProviderError,
    ReferenceImage,
    ScorePlan,
    ScoreSection,
    Speech,
    StreamsFrames,
    VideoGen,
    identity_of,
    streams_frames,
)
from reelforge.providers.calls import Budget, CallLog, track_calls
from reelforge.providers.registry import (
    ProviderCheck,
    Providers,
    check_providers,
    load_providers,
)

__all__ = [
    "LLM", "TTS", "Aligner", "Audio", "Budget", "BudgetExceeded", "CallLog", "ClipRequest",
    "ContentPolicyError", "DescribesFrames", "FrameRequest", "HoldsModels", "ImageGen", "Music",
    "PlaneForm", "ProviderCheck", "ProviderError", "Providers", "ReferenceImage", "ScorePlan",
    "ScoreSection", "Speech", "StreamsFrames", "VideoGen", "check_providers", "identity_of",
    "load_providers", "streams_frames", "track_calls",
]
