"""Test doubles for the assistant's seams (`fakes`) and the contracts every implementation of a
seam passes, real or fake (`contracts`, which needs pytest)."""
