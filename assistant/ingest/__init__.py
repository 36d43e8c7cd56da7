"""Reading the policies: the corpus and its metadata, clause-aware chunking with exact offsets, and the readable form of a quoted slice."""
