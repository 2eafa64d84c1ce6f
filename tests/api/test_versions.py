import re
from importlib.metadata import version

import code_interpreter


def test_version_is_the_installed_distributions() -> None:
    assert code_interpreter.__version__ == version("code-interpreter")


def test_v8_version_is_dotted_numbers() -> None:
    # Debian's libnode reports e.g. "10.2.154.26-node.37".
    assert re.fullmatch(r"\d+\.\d+\.\d+(\.\d+)?(-[\w.]+)?", code_interpreter.v8_version())


def test_v8_version_is_the_linked_engine() -> None:
    from code_interpreter import _core

    assert code_interpreter.v8_version().startswith(_core.V8_HEADERS_VERSION)
