"""Scorers from the field's libraries, shared by task definitions (tasks/*/utils.py) and tested on their own."""
