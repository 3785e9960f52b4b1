"""SQL the benches share to load a ledger the way writes leave it."""

# Each subject's chain head, as a write leaves it (migration 0028); a database of before has no such column.
FILL_HEADS = """
    DO $$ BEGIN
      IF EXISTS (SELECT FROM information_schema.columns WHERE table_name = 'subjects' AND column_name = 'head_hash')
      THEN
        UPDATE subjects AS s SET head_hash = e.hash FROM consent_events AS e
         WHERE e.subject_id = s.id AND e.revision = s.revision;
      END IF;
    END $$"""
