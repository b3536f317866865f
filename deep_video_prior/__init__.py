"""Temporal consistency for colorized videos by Deep Video Prior (Lei, Xing, Chen, NeurIPS 2020).

An engine like those in ``algorithms``: pure functions on numpy arrays (no Qt, no file
I/O, no printing), with progress and cancel callbacks for long work. See SPEC section 4.
"""
