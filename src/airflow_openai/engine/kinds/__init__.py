"""The job kinds the engine waits on, one small module each (see `engine/kind.py`)."""
