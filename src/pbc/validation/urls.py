"""Validation pages (findings, challenges, schedules, provider responses, ledger)."""

urlpatterns: list[object] = []
