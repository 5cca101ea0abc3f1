"""Scoring pieces: musical metrics, audio cleanliness, distances to real Bach, scoring sets of files."""
