import subprocess
import sys
from pathlib import Path

import code_interpreter


def test_v8_library_is_loaded_from_the_package_itself() -> None:
    code_interpreter.quick_interpret("1")
    package_dir = Path(code_interpreter.__file__).resolve().parent
    with open("/proc/self/maps") as maps:
        libnode = {
            Path(line.split()[-1]).resolve() for line in maps if "libnode.so" in line.split()[-1]
        }
    assert libnode, "libnode is not mapped"
    assert all(path.parent == package_dir for path in libnode), libnode


def test_core_import_pulls_in_no_optional_dependency() -> None:
    # The extras [server] and [ray] stay out of the way of a plain `import code_interpreter`.
    optional = ("starlette", "uvicorn", "prometheus_client", "httpx", "ray")
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, code_interpreter; code_interpreter.create_sandbox().interpret('1');"
            f"print(sorted(m for m in {optional!r} if m in sys.modules))",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
