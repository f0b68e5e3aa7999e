"""Root conftest: the harness plugin itself loads through its pytest11 entry point.

``pytester`` is enabled for the project's self-tests, which run the suites in-process
against the emulated station with quirks switched on.
"""

pytest_plugins = ("pytester",)
