"""A subject's age from what they stated: kept as the latest birth date it allows, read per check.

Someone who says they are `age` on `stated_at` was born on or before `stated_at` minus `age` years
(`born_by`); at any later time they are at least the full years since then: the stated age plus the
full years elapsed since it was stated. That lower bound is what a check compares with the ages of
its own jurisdiction, so a 15-year-old who was of age where they said it is still a minor where the
age is 16, and nobody stays a minor for longer than their stated age allows.
"""

from __future__ import annotations

from datetime import datetime


def born_by(*, age: int, stated_at: datetime) -> datetime:
    """The latest the subject can have been born; a 29 February without its year becomes the 28th."""
    year = stated_at.year - age
    try:
        return stated_at.replace(year=year)
    except ValueError:
        return stated_at.replace(year=year, day=28)


def age_at(born_by: datetime, now: datetime) -> int:
    """Full years from `born_by` to `now`: the least the subject's age can be (a few integer compares)."""
    years = now.year - born_by.year
    if (now.month, now.day, now.hour, now.minute, now.second, now.microsecond) < (
        born_by.month,
        born_by.day,
        born_by.hour,
        born_by.minute,
        born_by.second,
        born_by.microsecond,
    ):
        years -= 1
    return years
