"""codes domain."""
