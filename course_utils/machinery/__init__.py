"""The machinery: what makes the course's figures move and its notebooks run anywhere.

A learner may skip this folder: no lesson is in it. It holds

- ``explorer``: the explorers' base (a figure redrawn in place, on a drawing thread where
  stale slider positions merge), under ``course_utils.widgets``;
- ``live``: ``LivePlot``, the training curves that ``fit(..., live=True)`` redraws;
- ``cache``: the MNIST cache (its file checks, the download, MNIST's IDX file format);
- ``cloud``: what the notebooks' first cell installs on Colab and Kaggle;
- ``diagnostics``: ``cu.doctor()``, what this machine gives the course.
"""
