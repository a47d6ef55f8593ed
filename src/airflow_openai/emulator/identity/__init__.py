"""`POST /oauth/token`: the workload identity token exchange (`token_exchange`), whose access tokens the
gate accepts as project keys (`core.access_tokens`), and its control plane (`routes_control`)."""
