"""lifecycle domain."""
