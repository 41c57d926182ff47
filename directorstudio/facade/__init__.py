"""The Supabase-compatible facade: PostgREST at /rest/v1, GoTrue at /auth/v1, Storage at /storage/v1.

The protocol lives here and imports no app; each app declares its relations, functions and buckets
in a small module of its own (`<app>/relations.py`), registered the way the admin registers models.
"""
