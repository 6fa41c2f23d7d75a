"""Qt-free quiver mathematics: exchange matrices, mutation, canonical forms, mutation classes,
mutation-type identification, class sizes, file formats."""
