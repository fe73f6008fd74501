"""Signing in and out: lockout, second factor, session limits, and their audit events."""
