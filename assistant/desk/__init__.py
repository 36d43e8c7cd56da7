"""The privacy desk: tickets and their lifecycle, the CSV export, and webhooks that tell a company about new tickets."""
