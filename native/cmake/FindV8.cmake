# Finds a V8 whose headers and library belong to the same build.
#
# Looks under V8_ROOT (cache variable or environment): headers in include/, include/node or
# include/v8; library in lib/ or lib/<multiarch>: libnode (Debian's libnode exports all of
# V8), libv8 or libv8_monolith, plus a separate libv8_libplatform/libv8_libbase when the build
# has them (Homebrew). Without V8_ROOT it looks in the system prefixes only when a libnode
# library sits beside /usr/include/node, which may otherwise hold headers of an unrelated Node.
#
# Defines the imported target V8::V8 and V8_VERSION, V8_LIBRARY, V8_RUNTIME_LIBRARIES (real
# files to ship beside the extension).
#
# V8_DEFINES (cache, a list) names the build-configuration macros the library was built with,
# e.g. "V8_COMPRESS_POINTERS;V8_31BIT_SMIS_ON_64BIT_ARCH;V8_ENABLE_SANDBOX" for a V8 built with
# pointer compression and the sandbox (V8's defaults on 64-bit). They must match the library:
# V8::Initialize aborts with "Embedder-vs-V8 build configuration mismatch" naming the one that
# differs. Debian's libnode needs none.

set(V8_DEFINES "" CACHE STRING "Build-configuration macros of the V8 library (a list)")

if(NOT V8_ROOT AND DEFINED ENV{V8_ROOT})
  set(V8_ROOT "$ENV{V8_ROOT}")
endif()

set(_v8_hints)
if(V8_ROOT)
  set(_v8_hints HINTS "${V8_ROOT}" NO_DEFAULT_PATH)
endif()

find_path(V8_INCLUDE_DIR v8-version.h
  ${_v8_hints}
  PATH_SUFFIXES include/node include/v8 include node v8)

find_library(V8_LIBRARY
  NAMES node v8 v8_monolith
  ${_v8_hints}
  PATH_SUFFIXES lib "lib/${CMAKE_LIBRARY_ARCHITECTURE}" lib64)
# Debian ships only libnode.so.108 in the runtime package and the unversioned link in -dev.
if(NOT V8_LIBRARY AND V8_ROOT)
  file(GLOB _v8_versioned
    "${V8_ROOT}/lib/libnode.so.*" "${V8_ROOT}/lib/${CMAKE_LIBRARY_ARCHITECTURE}/libnode.so.*")
  if(_v8_versioned)
    list(GET _v8_versioned 0 V8_LIBRARY)
  endif()
endif()

if(V8_INCLUDE_DIR AND EXISTS "${V8_INCLUDE_DIR}/v8-version.h")
  file(STRINGS "${V8_INCLUDE_DIR}/v8-version.h" _v8_defines REGEX "#define V8_(MAJOR_VERSION|MINOR_VERSION|BUILD_NUMBER) ")
  foreach(_part MAJOR_VERSION MINOR_VERSION BUILD_NUMBER)
    string(REGEX REPLACE ".*#define V8_${_part} ([0-9]+).*" "\\1" _v8_${_part} "${_v8_defines}")
  endforeach()
  set(V8_VERSION "${_v8_MAJOR_VERSION}.${_v8_MINOR_VERSION}.${_v8_BUILD_NUMBER}")
endif()

if(V8_LIBRARY)
  get_filename_component(V8_LIBRARY_REAL "${V8_LIBRARY}" REALPATH)
  # The library embeds its version string ("10.2.154.26-node.37"); refuse a pair from two builds.
  string(REPLACE "." "\\." _v8_version_regex "${V8_VERSION}")
  file(STRINGS "${V8_LIBRARY_REAL}" _v8_lib_version REGEX "^${_v8_version_regex}(\\.[0-9]+)?" LIMIT_COUNT 1
       LENGTH_MINIMUM 6 LENGTH_MAXIMUM 48)
  if(NOT _v8_lib_version)
    message(FATAL_ERROR
      "V8 headers in ${V8_INCLUDE_DIR} are version ${V8_VERSION}, but ${V8_LIBRARY_REAL} does not "
      "contain that version: headers and library come from different builds. Set V8_ROOT to one V8.")
  endif()
endif()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(V8
  REQUIRED_VARS V8_LIBRARY V8_INCLUDE_DIR
  VERSION_VAR V8_VERSION
  REASON_FAILURE_MESSAGE "Set V8_ROOT to a V8 build (include/ and lib/), or run ci/bootstrap.")

if(V8_FOUND AND NOT TARGET V8::V8)
  set(V8_RUNTIME_LIBRARIES "${V8_LIBRARY_REAL}")
  add_library(V8::V8 INTERFACE IMPORTED)
  set_target_properties(V8::V8 PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${V8_INCLUDE_DIR}")
  target_link_libraries(V8::V8 INTERFACE "${V8_LIBRARY}")
  if(V8_DEFINES)
    set_property(TARGET V8::V8 PROPERTY INTERFACE_COMPILE_DEFINITIONS ${V8_DEFINES})
  endif()
  # V8 12 and later headers need C++20 (newer ones refuse C++17 with an #error).
  if(V8_VERSION VERSION_GREATER_EQUAL 12.0)
    target_compile_features(V8::V8 INTERFACE cxx_std_20)
  endif()
  # Split builds (Homebrew) keep the platform and base in libraries of their own.
  get_filename_component(_v8_libdir "${V8_LIBRARY}" DIRECTORY)
  foreach(_extra v8_libplatform v8_libbase)
    find_library(V8_${_extra}_LIBRARY NAMES ${_extra} HINTS "${_v8_libdir}" NO_DEFAULT_PATH)
    if(V8_${_extra}_LIBRARY)
      get_filename_component(_real "${V8_${_extra}_LIBRARY}" REALPATH)
      if(NOT _real STREQUAL V8_LIBRARY_REAL)
        target_link_libraries(V8::V8 INTERFACE "${V8_${_extra}_LIBRARY}")
        list(APPEND V8_RUNTIME_LIBRARIES "${_real}")
      endif()
    endif()
  endforeach()
endif()
