# CPack pre-build script (CPACK_PRE_BUILD_SCRIPTS, see cmake/install.cmake):
# in the staged package tree, the pkg-config files get the package's absolute
# prefix instead of the ${pcfiledir}-relative one, so that pkg-config prints
# plain -I/usr/include -L/usr/lib (which it then drops as system paths).
file(GLOB_RECURSE _oas_pc_files "${CPACK_TEMPORARY_INSTALL_DIRECTORY}/liboas*.pc")
if(NOT _oas_pc_files)
  message(FATAL_ERROR "cpack-pre-build: no liboas*.pc under ${CPACK_TEMPORARY_INSTALL_DIRECTORY}")
endif()
foreach(pc IN LISTS _oas_pc_files)
  file(READ "${pc}" text)
  string(REGEX REPLACE "\nprefix=[^\n]*\n" "\nprefix=${CPACK_PACKAGING_INSTALL_PREFIX}\n" text "${text}")
  file(WRITE "${pc}" "${text}")
endforeach()
