"""HTTP routers: each validates, calls the facade, shapes JSON."""
