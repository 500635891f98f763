"""Blank return templates and the bundled SAMPLE council returns (invented figures)."""
