"""Dialogs: about and the guided tour."""
