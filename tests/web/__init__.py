"""Tests of lblab's web layer."""
