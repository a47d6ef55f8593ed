"""Vector-store ingestion: a folder in any storage kept in sync with a vector store, incrementally."""
