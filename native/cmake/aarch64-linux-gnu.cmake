# Cross-compiles for aarch64 Linux with Debian's cross compilers (g++-aarch64-linux-gnu), against
# an arm64 V8 (V8_ROOT) and the target CPython's headers (Python_INCLUDE_DIR). ci/wheel uses it.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
# Programs run on this machine; libraries and headers are found through hints, never in the
# build machine's prefixes.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
# The extension's suffix comes from SETUPTOOLS_EXT_SUFFIX, not from an interpreter that runs here.
set(PYBIND11_USE_CROSSCOMPILING ON)
# The feature checks link small programs against libnode, whose own arm64 dependencies are not
# on the cross linker's path: they only need libnode's symbols.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-Wl,--allow-shlib-undefined")
