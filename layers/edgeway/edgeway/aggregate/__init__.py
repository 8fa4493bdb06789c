"""Composite routes: several backend calls in one budget, merged, partial results visible."""
