"""Supabase Storage at /storage/v1: the object API over the buckets the apps declare in their `buckets.py`."""
