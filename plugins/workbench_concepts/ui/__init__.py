"""Qt views of the concepts panel (:mod:`.views`): they draw what they are given and compute no science."""
