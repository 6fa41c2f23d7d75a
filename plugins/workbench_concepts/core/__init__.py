"""Qt-free core of the concepts plugin: data, network, training, probes, TRAK attribution."""
