"""GoTrue's protocol at /auth/v1, over the server's own accounts (directorstudio/accounts)."""
