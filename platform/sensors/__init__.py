"""Sensors and schedules: reactive triggers, incident reports, and the daily source schedule."""
