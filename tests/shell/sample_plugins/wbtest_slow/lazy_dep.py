"""Imported lazily by SlowPanel's constructor (as a panel imports scipy for a layout); records
the thread that imported it and takes 0.3 s."""

import threading
import time

IMPORTED_ON = threading.current_thread().name
time.sleep(0.3)
