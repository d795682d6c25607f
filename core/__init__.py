"""SpikeLab's engine: neurons, encoders, data, training, search, hardware models, CLI.

OpenMP threads that spin while they wait make every multi-threaded torch operation several
times slower once other processes share the cores (measured here: a [100, 256, 100]
multiply 19 ms instead of 1.8 ms on 2 busy cores), so idle threads are told to sleep. This
must happen before torch is first imported; a value the user set is kept.
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
