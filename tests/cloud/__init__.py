"""Tests of lblab's cloud layer."""
