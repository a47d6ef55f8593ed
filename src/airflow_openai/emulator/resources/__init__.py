"""One module per API resource: its routes and the rules the real service applies."""
