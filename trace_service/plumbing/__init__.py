"""Domain-free plumbing every layer may use: RFC 9457 problems, OpenAPI error docs, request ids
and RFC 3339 timestamps. Nothing here knows a domain of the service."""
