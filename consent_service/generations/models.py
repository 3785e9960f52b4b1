"""One row counting changes to keys, purposes, notices, properties, signing keys and recipients; database triggers
bump it."""

from __future__ import annotations

from sqlalchemy import BigInteger
from sqlalchemy.orm import Mapped, mapped_column

from consent_service.extensions import Base

# The only row's id. The triggers of migrations 0008, 0009 and 0020 bump its value in the transaction of
# every insert, update or delete of these tables, whoever writes them.
ROW_ID = 1
WATCHED_TABLES = ("api_keys", "purposes", "notices", "properties", "signing_keys", "recipients")


class Generation(Base):
    __tablename__ = "generations"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
