"""Data subject rights: access and portability, erasure, restriction, linking, consent receipts."""
