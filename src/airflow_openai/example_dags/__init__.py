"""Example DAGs; they double as tests and as the README's examples."""
