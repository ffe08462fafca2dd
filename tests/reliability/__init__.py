"""Tests of lblab's reliability layer."""
