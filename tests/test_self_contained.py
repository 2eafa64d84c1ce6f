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
