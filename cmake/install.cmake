# Installation of liboas (included by CMakeLists.txt after the cargo build is
# defined) and the CPack settings of the .deb.
#
#   cmake --install build --prefix P      # P/include, P/lib, P/bin, P/share/doc/liboas
#   (cd build && cpack -G DEB)            # liboas_<version>_<arch>.deb, under /usr
#
# The libraries are built by cargo, not by CMake, so they are installed as
# files, and the CMake package's imported targets are written by hand
# (cmake/liboasConfig.cmake.in). Both the pkg-config files and the CMake
# package find everything relative to where they are installed, so one build
# can be installed under any prefix (cmake --install --prefix, DESTDIR, CPack).

include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# What a program linked with liboas.a needs besides it: the system libraries
# Rust's std links against on Linux/glibc, as printed by
# `rustc --crate-type staticlib --print native-static-libs` (rustc 1.95:
# -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc). None of the crate's
# dependencies adds one (ring's C code is inside the archive). The consumer
# test (scripts/consumer-test.sh) links a program against liboas.a with exactly
# this list, so a missing library fails there.
set(OAS_STATIC_LIBS gcc_s util rt pthread m dl c)
list(TRANSFORM OAS_STATIC_LIBS PREPEND "-l" OUTPUT_VARIABLE _oas_static_flags)
string(JOIN " " OAS_STATIC_LIBS_PC ${_oas_static_flags})

# Headers: oas.h, and every other public header in include/ (oas.hpp, the
# header-only C++ layer, when it is there).
file(GLOB OAS_PUBLIC_HEADERS CONFIGURE_DEPENDS
  "${CMAKE_SOURCE_DIR}/include/*.h" "${CMAKE_SOURCE_DIR}/include/*.hpp")
install(FILES ${OAS_PUBLIC_HEADERS} DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")

# Libraries, staged in build/lib by the oas_cargo target: the real file
# liboas.so.<version>, the links liboas.so.<soversion> (the SONAME) and
# liboas.so (for -loas), installed as links; and the static archive.
install(FILES
  "${OAS_LIB_DIR}/${OAS_LIB_REAL}" "${OAS_LIB_DIR}/${OAS_LIB_SONAME}" "${OAS_LIB}" "${OAS_LIB_DIR}/liboas.a"
  DESTINATION "${CMAKE_INSTALL_LIBDIR}")

# The emulator, for offline development and tests against the installed tree.
install(PROGRAMS "${OAS_EMULATOR_BIN}" DESTINATION "${CMAKE_INSTALL_BINDIR}")

# `cmake --install --strip` (and the .deb, CPACK_STRIP_FILES) drops the debug
# information that cargo's profiles keep: install(FILES) leaves that to us.
# The archive keeps its symbol table (--strip-debug), or it could not be linked.
install(CODE "
  if(CMAKE_INSTALL_DO_STRIP)
    set(_oas_root \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}\")
    execute_process(COMMAND \"${CMAKE_STRIP}\" --strip-unneeded
                      \"\${_oas_root}/${CMAKE_INSTALL_LIBDIR}/${OAS_LIB_REAL}\"
                      \"\${_oas_root}/${CMAKE_INSTALL_BINDIR}/oas-emulator\"
                    COMMAND_ERROR_IS_FATAL ANY)
    execute_process(COMMAND \"${CMAKE_STRIP}\" --strip-debug
                      \"\${_oas_root}/${CMAKE_INSTALL_LIBDIR}/liboas.a\"
                    COMMAND_ERROR_IS_FATAL ANY)
  endif()")

# Documentation and example sources.
install(FILES "${CMAKE_SOURCE_DIR}/README.md" "${CMAKE_SOURCE_DIR}/docs/abi.md"
  DESTINATION "${CMAKE_INSTALL_DOCDIR}")
install(DIRECTORY "${CMAKE_SOURCE_DIR}/examples-c/" DESTINATION "${CMAKE_INSTALL_DOCDIR}/examples/c")
if(EXISTS "${CMAKE_SOURCE_DIR}/examples-cpp")
  install(DIRECTORY "${CMAKE_SOURCE_DIR}/examples-cpp/" DESTINATION "${CMAKE_INSTALL_DOCDIR}/examples/cpp")
endif()

# pkg-config: liboas (the shared library; Libs.private lists what a static
# link needs) and liboas-static (links liboas.a even where liboas.so is
# installed next to it, which -loas cannot). The prefix is ${pcfiledir}
# relative, so the files are right wherever the tree is installed; the .deb's
# copies name /usr (CPACK_PRE_BUILD_SCRIPTS below).
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}" OR IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  message(FATAL_ERROR "liboas: CMAKE_INSTALL_LIBDIR and CMAKE_INSTALL_INCLUDEDIR must be relative to the prefix")
endif()
file(RELATIVE_PATH OAS_PC_PREFIX "/root/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/root")
string(REGEX REPLACE "/$" "" OAS_PC_PREFIX "${OAS_PC_PREFIX}")
foreach(pc liboas liboas-static)
  configure_file("${CMAKE_SOURCE_DIR}/cmake/${pc}.pc.in" "${CMAKE_BINARY_DIR}/pkgconfig/${pc}.pc" @ONLY)
  install(FILES "${CMAKE_BINARY_DIR}/pkgconfig/${pc}.pc" DESTINATION "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
endforeach()

# CMake package: find_package(liboas CONFIG) gives liboas::liboas and
# liboas::liboas_static. While the major version is 0, a minor release may
# break the API (docs/abi.md), so a request for 0.M is satisfied only by 0.M.x
# with a patch level at least the one requested (SameMinorVersion).
set(OAS_CMAKE_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/liboas")
configure_package_config_file("${CMAKE_SOURCE_DIR}/cmake/liboasConfig.cmake.in"
  "${CMAKE_BINARY_DIR}/cmake-package/liboasConfig.cmake"
  INSTALL_DESTINATION "${OAS_CMAKE_DIR}"
  PATH_VARS CMAKE_INSTALL_INCLUDEDIR CMAKE_INSTALL_LIBDIR)
write_basic_package_version_file("${CMAKE_BINARY_DIR}/cmake-package/liboasConfigVersion.cmake"
  VERSION "${PROJECT_VERSION}" COMPATIBILITY SameMinorVersion)
install(FILES "${CMAKE_BINARY_DIR}/cmake-package/liboasConfig.cmake"
  "${CMAKE_BINARY_DIR}/cmake-package/liboasConfigVersion.cmake"
  DESTINATION "${OAS_CMAKE_DIR}")

# CPack: one Debian package, liboas, holding everything above (runtime
# library, headers, static library, pkg-config and CMake files, the emulator,
# docs) under /usr. Split runtime/-dev packages would let several SONAMEs sit
# side by side; with a single SONAME so far, one package is simpler to install.
set(CPACK_PACKAGE_NAME "liboas")
set(CPACK_PACKAGE_VENDOR "liboas")
set(CPACK_PACKAGE_CONTACT "liboas maintainers <liboas-maintainers@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "client SDK for OAS (Open Archive Service), C ABI")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_STRIP_FILES ON) # as Debian packages are: no debug information
set(CPACK_GENERATOR "DEB")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT) # liboas_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${CPACK_PACKAGE_CONTACT}")
set(CPACK_DEBIAN_PACKAGE_SECTION "libs")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
  "${CPACK_PACKAGE_DESCRIPTION_SUMMARY}
 liboas is a client SDK for OAS, Alibaba Cloud's Glacier-like archive store,
 written in Rust and shipped as a C-ABI library: verified parallel multipart
 uploads and downloads that resume after a crash, jobs, inventories and the
 OAS digests.
 .
 This package holds the shared library (SONAME liboas.so.${OAS_SOVERSION}), the static
 library, the C header oas.h (and the C++17 header oas.hpp), pkg-config files
 (liboas, liboas-static), the CMake package (find_package(liboas)), the
 oas-emulator test server, examples and documentation.")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "pkgconf | pkg-config")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "cmake")
# Run-time dependencies from the ELF files themselves when dpkg-shlibdeps
# (dpkg-dev) is there, else the set it computes on Debian 12.
find_program(OAS_DPKG_SHLIBDEPS dpkg-shlibdeps)
if(OAS_DPKG_SHLIBDEPS)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
else()
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "libc6 (>= 2.34), libgcc-s1 (>= 4.2)")
endif()
# A shlibs file, so that packages built against this one depend on it, and
# (CPack adds them for a library in /usr/lib) ldconfig in postinst/postrm.
# "=": while the major version is 0 a minor release may break the ABI under
# the same SONAME (docs/abi.md), so ">=" would be a promise we do not make.
# Both need `file` and `readelf` (apt-get install file binutils).
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY "=")
# The package's .pc files name /usr itself (cmake/cpack-pre-build.cmake).
set(CPACK_PRE_BUILD_SCRIPTS "${CMAKE_SOURCE_DIR}/cmake/cpack-pre-build.cmake")
set(CPACK_SOURCE_GENERATOR "")
include(CPack)
