"""Shipped model files (``*.npz``) and their model cards (``*.md``); see README.md here.

A package only so that the files install with the code; loaders live in ``algorithms``.
"""
