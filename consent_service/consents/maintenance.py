"""Open the ledger to erasure and retention for one transaction, and to nothing else.

The append-only triggers (migrations 0005, 0015) let a DELETE, or an UPDATE of the personal fields
only, through while this is open: on PostgreSQL a transaction-local setting (SET LOCAL, gone at
commit or rollback), on SQLite a marker row written and removed inside the same transaction, so no
other connection ever sees it. UPDATE of any proof column stays forbidden in every case.

The setting only states intent. On PostgreSQL the trigger also requires the current role to be a
member of the table owner's role (the service's own role): another role granted UPDATE or DELETE
sets it in vain. SQLite has no roles: whoever can write the database file can change anything,
so there the evidence rests on the file's permissions and on checkpoints kept elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import delete, insert, text
from sqlalchemy.orm import Session

from consent_service.consents.models import LedgerMaintenance

MARKER_ID = 1


@contextmanager
def ledger_open(session: Session) -> Iterator[None]:
    """Inside the caller's transaction; on SQLite the marker insert also takes the write lock first.

    On an error the caller rolls back, which removes the marker too (cleaning up in a failed
    PostgreSQL transaction would only raise again)."""
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        session.execute(text("SELECT set_config('consent.maintenance', 'on', true)"))
    else:
        session.execute(insert(LedgerMaintenance).values(id=MARKER_ID))
    yield
    session.flush()
    if postgres:
        session.execute(text("SELECT set_config('consent.maintenance', 'off', true)"))
    else:
        session.execute(delete(LedgerMaintenance).where(LedgerMaintenance.id == MARKER_ID))
