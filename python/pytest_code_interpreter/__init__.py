"""The pytest plugin of code-interpreter, registered through the ``pytest11`` entry point:
``js_sandbox``, ``async_js_sandbox`` and ``js_benchmark`` fixtures and the ``js_sandbox``
marker. It imports code_interpreter only when a test asks for one of its fixtures."""
