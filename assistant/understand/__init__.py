"""Reading a message: greetings and sign-offs off, the company it is about, its intent, and the personal data in it."""
