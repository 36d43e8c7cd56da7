"""Finding the evidence: BM25 and dense search fused by rank, the evidence model over passages, and generic fact shapes."""
