"""Sign-in streams for baseline tests, built on the detection test builders."""

from __future__ import annotations

from datetime import datetime, timedelta

from chainwatch.events import SignIn

from ..detect.builders import sign_in


def daily_signins(
    user: str, start: datetime, days: int, *, per_day: int = 2, **fields: object
) -> list[SignIn]:
    """Sign-ins at 09:00 and 14:00 (and so on every 5 hours) for ``days`` days."""
    return [
        sign_in(user, start + timedelta(days=day, hours=9 + 5 * slot), **fields)  # type: ignore[arg-type]
        for day in range(days)
        for slot in range(per_day)
    ]
