"""Plotly figures of the pages: core computes each figure's data, these modules draw it.

One module per page (``neurons``, ``training``, ``relpsp``, ``hardware``, ``grid_search``,
``nas``, ``encoding``, ``playground``), plus what they share: ``layout`` (height and margins)
and ``raster`` (the one spike raster, time x neuron, and the spike ticks beside a membrane).
Nothing here computes what a figure shows: that is in ``core`` and
tested there.
"""
