"""Writing the reply: which passages to quote, every reply text, the lead-line topic, contradictions, a request's procedure."""
