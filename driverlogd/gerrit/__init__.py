"""Gerrit over SSH: events, the stream, and catch-up queries."""
