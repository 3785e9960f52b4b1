"""The generation counter of rarely-changing rows, and the per-process snapshot of them it validates."""
