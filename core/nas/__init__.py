"""Neural architecture search for deep conv SNNs on Optuna studies (Random ... NSGA-II).

``space`` (choices and architectures), ``model`` (conv SNN / DNN), ``trainer`` (presets and
training one trial), ``algorithms`` (the samplers), ``study`` (running a search on a
storage URL, alone or as one of many workers), ``runner`` (the work a page runs as a
``core.jobs.Job``: a search in a worker process), ``summary`` (the study's tables and views),
``objectives`` (accuracy alone, or accuracy and energy per frame priced by ``core.hardware``),
``front`` (Pareto fronts and hypervolumes of accuracy-and-energy studies) and ``bench`` (the
speed-up of several workers over one).
"""
