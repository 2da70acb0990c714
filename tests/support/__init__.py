"""Helpers shared by the tests and by benchmarks/: GUI input (``gui_input``), the soak driver
(``soak``) and small builders of test data (``builders``)."""
