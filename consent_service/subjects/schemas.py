"""Wire format shared by every endpoint under a subject."""
from __future__ import annotations

# {kind} is visitor or customer; {subject_id} is the service's visitor id or the company's own id.
SUBJECT_PATH = "/subjects/<any(visitor, customer):kind>/<string(maxlength=255):subject_id>"
