"""Concept attribution: linear probes per layer and TRAK, after Konz et al., arXiv 2310.03149."""
