"""The training studio: a window that trains a model in a process of its own and shows it learn."""
