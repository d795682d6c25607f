"""SpikeLab's engine: neurons, encoders, data, training, search, hardware models, CLI.

OpenMP's own default is kept: its threads spin while they wait, which is fastest on cores that
nothing else uses (an idle 2-core machine: a training step 0.10 s spinning, 0.21 s sleeping).
On cores that other work keeps busy, spinning threads make every multi-threaded torch op
several times slower: there, give ``--threads 1`` or set ``OMP_WAIT_POLICY=PASSIVE`` before
starting SpikeLab (the test suite does, ``tests/conftest.py``).
"""
