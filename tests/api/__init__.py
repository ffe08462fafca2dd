"""Tests of lblab's api layer."""
