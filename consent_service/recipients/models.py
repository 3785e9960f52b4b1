"""Recipients: the organizations an operator transfers personal data to, with their safeguards."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, String
from sqlalchemy.orm import Mapped, mapped_column

from consent_service.database import UTCDateTime
from consent_service.extensions import Base


class Recipient(Base):
    __tablename__ = "recipients"

    # Chosen by the operator; what a transfer check names.
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))  # ISO 3166-1 alpha-2: where the recipient receives the data
    # Certified under the EU-US Data Privacy Framework (and its UK and Swiss extensions): a US organization only.
    dpf_certified: Mapped[bool]
    # The day standard contractual clauses with the recipient were signed; None: none signed.
    scc: Mapped[date | None] = mapped_column(Date)
    # Binding corporate rules approved for the recipient's group cover the transfer.
    bcr: Mapped[bool]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When the safeguards last changed: answers change from then on, recorded consents never do.
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
