"""Test-only secrets, set by this early plugin before pytest-django loads the settings (which need them)."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key")
os.environ.setdefault("SUPABASE_JWT_SECRET", "test-only-supabase-jwt-secret-32-bytes")
