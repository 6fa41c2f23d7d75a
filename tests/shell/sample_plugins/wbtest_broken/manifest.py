import this_module_does_not_exist  # noqa: F401  deliberate: the plugin is broken

MANIFEST = None
