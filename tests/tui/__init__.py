"""Tests of lblab's tui layer."""
