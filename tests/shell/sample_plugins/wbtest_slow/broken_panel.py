import time

time.sleep(0.3)
raise ImportError("wbtest_slow.broken_panel: a dependency is missing (deliberate)")
