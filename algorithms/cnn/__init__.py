"""Automatic colorization with the Zhang, Isola, Efros (ECCV 2016) network
(see docs/methods.md, "Automatic colorization").

Modules (TensorFlow is imported only by ``network`` and by ``colorizer`` when a
:class:`~algorithms.cnn.colorizer.Colorizer` is built):

- ``architecture``: layer list, variable names (colorization-tf scopes) and shapes;
- ``network``: the ``tf.compat.v1`` graph, its Session, weight loading, checkpoints;
- ``folding``: batch normalisation folded into the convolutions of the inference graph;
- ``decode``: annealed-mean decoding of the 313-bin distribution (numpy);
- ``model_weights``: a model's weights, bins and metadata as the engine holds them, their
  validation and the conversion of the authors' PyTorch state (the files themselves are
  read by the application: :mod:`colorize_app.io.model_files`);
- ``colorizer``: the ``Colorizer`` that colorizes photos and re-decodes at a new temperature;
- ``efficientnet``, ``efficientnet_weights``, ``fpn_head``: the EfficientNet-Lite0 encoder, its
  .pth converter and the multi-scale head of the ``effnet_lite0`` model;
- ``train``, ``training_data``: the training loop (soft encoding, rebalancing) and its batches.

Importing the package changes nothing global: TensorFlow's environment settings (oneDNN or
Eigen convolutions, log level) are chosen by the entry points
(:mod:`colorize_app.runtime.tf_startup`). Model files, names and downloads are the
application's (:mod:`colorize_app.io.model_files`, :mod:`colorize_app.io.model_registry`).
"""
