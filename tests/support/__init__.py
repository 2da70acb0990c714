"""Helpers shared by the tests and by benchmarks/: GUI input (``gui_input``), windows that
wait for their model (``windows``), the command line run in-process (``cli``), the soak
driver (``soak``) and the repository's paths (``paths``)."""
