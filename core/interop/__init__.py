"""Networks from other libraries: NIR import, simulation, and NeuroBench's operation counts.

``nir_graph`` reads and checks a NIR file into an ``ImportedNet`` (a chain of layers, each a few
linear operations feeding one neuron population); ``nir_sim`` runs it through the neuron
registry's time loop; ``nir_run`` stores it in the run store (kind ``"nir"``) and simulates a
stored one on a data set; ``neurobench`` counts its operations with NeuroBench's own code.
"""
