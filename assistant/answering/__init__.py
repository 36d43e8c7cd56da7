"""Writing the reply: which passages to quote and every reply text, the lead-line topic, contradiction notices, and what the policy requires for a formal request."""
