"""Interoperability: the published contract (OpenAPI, event JSON Schemas), interactive API docs,
EPCIS 2.0 export of the logged events, and the credit data exchange for public credit platforms."""
