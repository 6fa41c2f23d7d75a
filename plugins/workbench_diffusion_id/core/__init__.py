"""Qt-free core of the diffusion intrinsic-dimension plugin: intrinsic-dimension estimators on a
shared nearest-neighbour graph, correlation statistics, diffusers pipelines with activation
hooks, perplexity under a causal language model, and the embedded default models."""
