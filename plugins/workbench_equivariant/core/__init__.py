"""Qt-free core of the equivariant plugin: set-partition diagrams and their counts
(:mod:`.partitions`), the orbit and diagram bases materialised at small n
(:mod:`.materialise`), the fast multiplication by a diagram basis element
(:mod:`.fast`), the :class:`~.layer.EquivariantLinear` module (:mod:`.layer`) and Maron et
al.'s hand-written 2 -> 2 layer as a reference (:mod:`.maron`)."""
