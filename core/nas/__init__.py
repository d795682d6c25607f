"""Neural architecture search for deep conv SNNs: Random, Greedy and Bayesian on Optuna studies.

``space`` (choices and architectures), ``model`` (conv SNN / DNN), ``trainer`` (presets and
training one trial), ``algorithms`` (the three samplers), ``study`` (running a search on a
storage URL, alone or as one of many workers), ``runner`` (the work a page runs as a
``core.jobs.Job``: a search in a worker process), ``summary`` (the study's tables and views)
and ``bench`` (the speed-up of several workers over one).
"""
