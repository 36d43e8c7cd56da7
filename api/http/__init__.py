"""HTTP plumbing that only the API needs: the rate limiter, the access-log filter, and `serve`."""
