"""Tests of lblab's labs layer."""
