"""tracing domain."""
