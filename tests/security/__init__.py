"""Tests of lblab's security layer."""
