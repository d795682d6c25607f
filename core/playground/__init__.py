"""SNN Playground: a small spiking network learning a 2-D toy problem, live."""
