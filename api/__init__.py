"""HTTP layer of privacy-assistant (FastAPI)."""
