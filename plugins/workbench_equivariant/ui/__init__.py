"""Qt views of the equivariant panel: the diagram grids (:mod:`.diagrams`) and the plots
(:mod:`.plots`).  They draw what they are given and compute no science."""
