"""Audio post and delivery files."""
