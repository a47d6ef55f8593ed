"""Realistic-looking keys for tests (Airflow does not mask secrets shorter than 5 characters)."""

PROJECT_KEY = "sk-proj-test-4f9c2a7e1b3d5f6a8c0e2b4d6f8a0c1e"
ADMIN_KEY = "sk-admin-test-9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d"
