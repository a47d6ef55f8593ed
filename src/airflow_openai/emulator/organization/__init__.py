"""`/v1/organization/*`: users, invites, projects and their members and keys, the audit log, and the
control-plane routes that act as the organization's people would."""
