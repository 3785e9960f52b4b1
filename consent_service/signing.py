"""itsdangerous on the app's clock: one timed serializer per purpose (its salt), old secrets still verifying."""

from __future__ import annotations

from typing import Any

from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from consent_service.clock import Clock


class ClockedSigner(TimestampSigner):
    """itsdangerous reads time.time(); ours reads the app's clock so tests move time instead of sleeping."""

    def __init__(self, *args: Any, clock: Clock, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clock = clock

    def get_timestamp(self) -> int:
        return int(self._clock().timestamp())


def timed_serializer(*, secret_key: str, fallbacks: tuple[str, ...], salt: str, clock: Clock) -> URLSafeTimedSerializer:
    """Signs with `secret_key`, verifies with it and every fallback (itsdangerous signs with the last key and
    accepts all), so rotating the secret breaks nothing signed before."""
    return URLSafeTimedSerializer(
        [*fallbacks, secret_key], salt=salt, signer=ClockedSigner, signer_kwargs={"clock": clock}
    )
