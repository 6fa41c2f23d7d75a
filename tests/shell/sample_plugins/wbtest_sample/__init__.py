"""A small plugin used by the shell's tests, registered through a real entry point.

It counts partial sums of a harmonic series in a job (with progress, partial results,
cancellation and a deliberate failure mode) and plots them with pyqtgraph."""
