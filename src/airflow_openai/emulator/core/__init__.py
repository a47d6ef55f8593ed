"""What every service of the emulator shares: the state (store, clock, ids, faults, request log), listing
and errors, strict request bodies, the control plane's own bodies, lost answers and the slow link, and the
seams through which one service asks another for work (`seams.py`). Imports nothing outside `core`."""
