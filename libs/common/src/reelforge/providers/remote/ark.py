"""BytePlus ModelArk (Seedream images, Seedance video): auth, error codes, key check.

Errors come as {"error": {"code", "message", "param", "type"}}; sensitive-content codes end
in `SensitiveContentDetected` (input text, input image, output image or video).
"""

from __future__ import annotations

from reelforge.providers.remote.config import require_key
from reelforge.providers.remote.http import ApiClient, ErrorInfo, HttpPolicy, Outcome
from reelforge.settings import Settings

RATE_CODES = ("RateLimitExceeded", "AccountRateLimitExceeded", "ServerOverloaded",
              "QuotaExceeded.Concurrent")
PERMANENT_CODES = ("ModelNotOpen", "AccountOverdue", "AuthenticationError", "AccessDenied",
                   "InvalidEndpointOrModel", "SetLimitExceeded")


def is_sensitive(code: str | None) -> bool:
    return bool(code) and "SensitiveContent" in str(code)


def classify(info: ErrorInfo) -> Outcome:
    code = info.code or ""
    if is_sensitive(code):
        return "content_policy"
    if code.startswith(RATE_CODES):
        return "retry"
    if code.startswith(PERMANENT_CODES):
        return "permanent"
    return "default"


def ark_api(provider: str, settings: Settings) -> ApiClient:
    key = require_key(provider, settings.ark_api_key, "ARK_API_KEY")
    return ApiClient(provider, settings.ark_base_url, policy=HttpPolicy.from_settings(settings),
                     auth_headers={"authorization": f"Bearer {key}"}, secrets=(key,),
                     classify=classify)


async def check_tasks(api: ApiClient) -> str:
    """GET /contents/generations/tasks?page_size=1: free, and needs a valid key."""
    async with api.session() as s:
        body = await s.json("GET", "contents/generations/tasks",
                            params={"page_num": 1, "page_size": 1})
    total = body.get("total") if isinstance(body, dict) else None
    return f"{api.base_url}: key accepted ({total if total is not None else '?'} video tasks)"
