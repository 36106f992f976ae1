"""The machinery: what makes the course's figures move and its notebooks run anywhere.

A learner may skip this folder: no lesson is in it. ``explorer`` (the explorers' base),
``live`` (``LivePlot``), ``cache`` (the MNIST cache and download), ``cloud`` (the first cell
on Colab and Kaggle), ``diagnostics`` (``cu.doctor()``).
"""
