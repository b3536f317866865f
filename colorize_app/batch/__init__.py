"""Batch jobs: many photos or videos colorized on a Dask ``distributed`` cluster, resumable.

- :mod:`~colorize_app.batch.runner`: the client side: plan, skip what is done, run the rest,
  record each result in the manifest.
- :mod:`~colorize_app.batch.worker_tasks`: the work a worker does (one photo, one shot of a
  video, assembling a video), through the same sessions as ``colorize cnn`` and ``video``.
- :mod:`~colorize_app.batch.video_shots`: a video split into shots, the unit of work.

Nothing here prints: results come back as data and the command line words them.
"""
