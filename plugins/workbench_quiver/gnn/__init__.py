"""Graph neural network for quiver mutation classes (Qt-free), after arXiv 2411.07467.

dataset.py  mutation-class datasets (npz + JSON provenance) and B-matrix -> graph conversion
features.py size-independent structural vertex features (blocks of the underlying graph)
model.py    DirGINE: directed GIN with arrow-multiplicity edge features
train.py    training loop (job-friendly), evaluation, size-generalisation sampling
checkpoint.py safetensors + JSON checkpoints (never unpickled)
explain.py  PGExplainer / GNNExplainer / Integrated Gradients importances, top-k masking
embed.py    hidden representations, PCA, linear probe for Vatne types
"""

FAMILIES: tuple[str, ...] = ("A", "D", "E", "A~", "D~", "E~")
